import { useEffect, useState, type FormEvent } from 'react'
import type { RepositoryJson, SearchResponse } from '@verity/protocol'
import { api, ApiError } from '../lib/api.ts'
import { formatCount } from '../lib/format.ts'
import { hrefs } from '../lib/router.ts'
import { Link, navigate } from '../nav.tsx'
import { Problem } from '../components/Problem.tsx'

const firstLine = (text: string) => text.split(/\n\s*\n/)[0]!.replace(/[`*_#>]/g, '').slice(0, 240)

export function ModelsPage({ q }: { q: string }) {
  const [query, setQuery] = useState(q)
  const [items, setItems] = useState<RepositoryJson[] | null>(null)
  const [cursor, setCursor] = useState<string | null>(null)
  const [error, setError] = useState<ApiError | null>(null)

  const load = async (text: string, after: string | null) => {
    const params = new URLSearchParams({ limit: '24' })
    if (text) params.set('q', text)
    if (after) params.set('cursor', after)
    try {
      const page = await api<SearchResponse>(`/v1/search?${params}`)
      setItems((prev) => (after && prev ? [...prev, ...page.items] : page.items))
      setCursor(page.nextCursor)
      setError(null)
    } catch (e) {
      setError(e as ApiError)
    }
  }
  useEffect(() => { setQuery(q); setItems(null); void load(q, null) }, [q])

  const submit = (event: FormEvent) => {
    event.preventDefault()
    navigate(hrefs.models(query.trim()), { replace: true })
  }
  return (
    <>
      <h1 tabIndex={-1}>Models</h1>
      <form role="search" className="search" onSubmit={submit}>
        <label htmlFor="model-search">Search models by name, description, task or tag</label>
        <div className="row">
          <input id="model-search" type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="e.g. ocr, mlp, classification" />
          <button type="submit">Search</button>
        </div>
      </form>
      {error ? <Problem error={error} what="Search failed." /> : null}
      {items === null && !error ? <p role="status">Loading models…</p> : null}
      {items !== null ? (
        <>
          <p role="status">{items.length === 0 ? `No models match "${q}".` : `${items.length}${cursor ? '+' : ''} model${items.length === 1 ? '' : 's'}${q ? ` matching "${q}"` : ''}.`}</p>
          <ul className="cards">
            {items.map((m) => (
              <li key={`${m.owner}/${m.name}`} className="card">
                <h2><Link href={hrefs.model(m.owner, m.name)}>{m.owner}/{m.name}</Link></h2>
                <p>{firstLine(m.description) || <span className="muted">No description.</span>}</p>
                <p className="meta">
                  {m.task ? <span>{m.task}</span> : null}
                  <span>{m.latestRelease ? `release ${m.latestRelease}` : 'no published release'}</span>
                  <span>{m.license}</span>
                  <span>{formatCount(m.downloads)} runs and downloads</span>
                </p>
                {m.tags.length > 0 ? <ul className="tags" aria-label="Tags">{m.tags.map((t) => <li key={t}>{t}</li>)}</ul> : null}
              </li>
            ))}
          </ul>
          {cursor ? <button type="button" className="secondary" onClick={() => void load(q, cursor)}>Show more models</button> : null}
        </>
      ) : null}
    </>
  )
}
