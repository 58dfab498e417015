import type { ApiError } from '../lib/api.ts'

/** A node error, as the node explained it. */
export function Problem({ error, what }: { error: ApiError; what: string }) {
  return (
    <div className="problem" role="alert">
      <p><strong>{what}</strong> {error.message}</p>
      {error.hint ? <p className="muted">{error.hint}</p> : null}
      <p className="muted"><code>{error.code}</code>{error.status ? ` · HTTP ${error.status}` : ''}</p>
    </div>
  )
}
