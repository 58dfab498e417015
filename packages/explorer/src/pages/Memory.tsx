import { useMemo, useState, type FormEvent } from 'react'
import type { SignedLogEntry } from '@verity/memory/log'
import { api, ApiError } from '../lib/api.ts'
import { shortHex } from '../lib/format.ts'
import { verifyMemoryView, type MemoryItemJson, type MemoryMessageJson, type MemoryView } from '../lib/memory.ts'
import { useNode } from '../nav.tsx'
import { Problem } from '../components/Problem.tsx'
import { VerdictView } from '../components/Verdict.tsx'

type Load = { state: 'idle' } | { state: 'loading' } | { state: 'disabled' } | { state: 'error'; error: ApiError } | { state: 'ready'; view: MemoryView }

async function loadMemory(apiKey: string, userId: string): Promise<MemoryView> {
  // The key travels only in this header, to this node; it lives in this page's memory and is gone on reload.
  const headers = { authorization: `Bearer ${apiKey}` }
  const q = userId ? `?user_id=${encodeURIComponent(userId)}` : ''
  const [exported, log] = await Promise.all([
    api<{ user_id: string; memories: MemoryItemJson[]; messages: MemoryMessageJson[] }>(`/v1/memories/export${q}`, { headers }),
    api<{ node: string; entries: SignedLogEntry[] }>(`/v1/memories/log${q}`, { headers }),
  ])
  return { userId: exported.user_id, memories: exported.memories, messages: exported.messages, log: log.entries, logNode: log.node }
}

function KeyForm({ onSubmit, busy }: { onSubmit: (key: string, userId: string) => void; busy: boolean }) {
  const [key, setKey] = useState('')
  const [userId, setUserId] = useState('')
  const submit = (event: FormEvent) => { event.preventDefault(); if (key.trim()) onSubmit(key.trim(), userId.trim()) }
  return (
    <form onSubmit={submit} className="key-form" aria-label="Open a user's memory">
      <p className="field">
        <label htmlFor="memory-key">API key</label>
        <input id="memory-key" type="password" autoComplete="off" spellCheck={false} value={key} onChange={(e) => setKey(e.target.value)} required size={48} aria-describedby="memory-key-help" />
        <span id="memory-key-help" className="help">A user key (scope memories:read) or the node's admin key. It is sent only to this node, in the Authorization header, and kept only in this page's memory: reloading or closing the page forgets it.</span>
      </p>
      <p className="field">
        <label htmlFor="memory-user">User id (only with the admin key)</label>
        <input id="memory-user" value={userId} onChange={(e) => setUserId(e.target.value)} size={32} autoComplete="off" />
      </p>
      <button type="submit" disabled={busy}>Open and verify</button>
    </form>
  )
}

function Sources({ ids, messages }: { ids: string[]; messages: Map<string, MemoryMessageJson> }) {
  if (ids.length === 0) return <p className="muted">No source messages recorded.</p>
  return (
    <ul className="sources" aria-label="Source messages">
      {ids.map((id) => {
        const m = messages.get(id)
        return (
          <li key={id} data-source={id}>
            <code>{id}</code>{m ? <> · {m.role}{m.name ? ` (${m.name})` : ''} · {m.timestamp}: <q>{m.content}</q></> : <span className="muted"> · message not kept (erased or from another export)</span>}
          </li>
        )
      })}
    </ul>
  )
}

function MemoryDetails({ view }: { view: MemoryView }) {
  const node = useNode()
  const verdict = useMemo(() => verifyMemoryView(view, node?.address), [view, node])
  const messages = useMemo(() => new Map(view.messages.map((m) => [m.id, m])), [view])
  const perMemory = new Map(verdict.memories.map((m) => [m.id, m]))
  return (
    <>
      <VerdictView verdict={verdict} title="Memory verdict" />
      <h2>Memories of <code>{view.userId}</code> ({view.memories.length})</h2>
      {view.memories.length === 0 ? <p>No memories yet.</p> : null}
      <ul className="memories">
        {view.memories.map((m) => {
          const c = perMemory.get(m.id)
          return (
            <li key={m.id} className={`card check-${c?.status ?? 'skip'}`} data-memory-id={m.id} data-status={c?.status}>
              <p className="memory-text">{m.text}</p>
              <p className="meta"><span>{m.type}</span><span>{m.categories.join(', ') || 'no category'}</span><span>happened {m.event_time}</span><span>importance {m.importance}</span><span>by {m.extractor}</span></p>
              <p className="memory-check"><strong>{c?.status === 'pass' ? 'Matches the log' : 'Does not match the log'}:</strong> {c?.message}</p>
              <Sources ids={m.sources} messages={messages} />
            </li>
          )
        })}
      </ul>
      <div className="table-scroll">
        <table className="log">
          <caption>Operation log: every change, hash-chained and signed by node <code title={view.logNode}>{shortHex(view.logNode)}</code> (hashes and ids only, never content)</caption>
          <thead><tr><th scope="col">#</th><th scope="col">Operation</th><th scope="col">Memory</th><th scope="col">When</th><th scope="col">Hash</th><th scope="col">Check</th></tr></thead>
          <tbody>
            {view.log.map((e, i) => {
              const c = verdict.entries[i]!
              return (
                <tr key={i} data-seq={i} data-status={c.status} className={`check-${c.status}`}>
                  <td>{String(e.entry?.seq)}</td><td>{String(e.entry?.op)}</td><td><code>{e.entry?.memory_id ?? '—'}</code></td><td>{String(e.entry?.at)}</td>
                  <td><code title={e.hash}>{shortHex(e.hash)}</code></td>
                  <td><span className="check-status">{c.status === 'pass' ? 'Passed' : 'Failed'}</span> {c.message}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
    </>
  )
}

export default function MemoryPage() {
  const [load, setLoad] = useState<Load>({ state: 'idle' })
  const open = (key: string, userId: string) => {
    setLoad({ state: 'loading' })
    loadMemory(key, userId).then(
      (view) => setLoad({ state: 'ready', view }),
      (error: unknown) => {
        const e = error instanceof ApiError ? error : new ApiError(0, 'UNKNOWN', String(error))
        setLoad(e.status === 404 && /^No route/.test(e.message) ? { state: 'disabled' } : { state: 'error', error: e })
      },
    )
  }
  return (
    <>
      <h1 tabIndex={-1}>Memory</h1>
      <p className="lead">
        An agent's memories of a user, each with the messages it came from, and the operation log that records every change. The log's hash
        chain and the node's signature on every entry are re-checked in your browser, and each memory is compared to what the log committed to.
      </p>
      {load.state === 'ready' ? (
        <p className="actions"><button type="button" onClick={() => setLoad({ state: 'idle' })}>Forget the key</button></p>
      ) : <KeyForm onSubmit={open} busy={load.state === 'loading'} />}
      {load.state === 'loading' ? <p role="status">Loading and verifying…</p> : null}
      {load.state === 'disabled' ? (
        <p data-memory="disabled">Memory is not enabled on this node: it does not serve <code>/v1/memories</code>. Agent memories, their search and their provenance log will show here on nodes that do.</p>
      ) : null}
      {load.state === 'error' ? <Problem error={load.error} what="The memory could not be loaded." /> : null}
      {load.state === 'ready' ? <MemoryDetails view={load.view} /> : null}
    </>
  )
}
