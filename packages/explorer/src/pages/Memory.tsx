import { Problem } from '../components/Problem.tsx'
import { useApi } from '../useApi.ts'

type MemoryListJson = { items?: Array<Record<string, unknown>> }

/** Memory is built by another package; until the node serves /v1/memories this page says so. */
export function MemoryPage() {
  const memories = useApi<MemoryListJson>('/v1/memories')
  return (
    <>
      <h1 tabIndex={-1}>Memory</h1>
      {memories.state === 'loading' ? <p role="status">Checking whether this node keeps agent memory…</p> : null}
      {memories.state === 'error' && memories.error.status === 404 ? (
        <p data-memory="disabled">Memory is not enabled on this node: it does not serve <code>/v1/memories</code>. Agent memories, their search and their provenance log will show here on nodes that do.</p>
      ) : null}
      {memories.state === 'error' && memories.error.status !== 404 ? <Problem error={memories.error} what="Memories could not be loaded." /> : null}
      {memories.state === 'ready' ? (
        <ul className="cards">
          {(memories.data.items ?? []).map((m, i) => (
            <li key={String(m.id ?? i)} className="card"><pre className="wrap">{JSON.stringify(m, null, 2)}</pre></li>
          ))}
          {(memories.data.items ?? []).length === 0 ? <li>No memories yet.</li> : null}
        </ul>
      ) : null}
    </>
  )
}
