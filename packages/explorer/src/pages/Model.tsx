import { useEffect, useState } from 'react'
import type { FileJson, IoSchema, ModelCardJson, ReleaseJson } from '@verity/protocol'
import { formatBytes, formatCount } from '../lib/format.ts'
import { useNode } from '../nav.tsx'
import { Markdown } from '../components/Markdown.tsx'
import { Problem } from '../components/Problem.tsx'
import { RunForm } from '../components/RunForm.tsx'
import { useApi } from '../useApi.ts'

function Shape({ shape }: { shape: IoSchema['inputs'][number]['shape'] }) {
  if (shape === null) return <span className="muted">unknown</span>
  return <>[{shape.map((d) => (typeof d === 'number' && d > 0 ? String(d) : d === null || typeof d === 'number' ? '?' : d)).join(', ')}]</>
}

function SchemaTable({ schema }: { schema: IoSchema }) {
  const rows = [...schema.inputs.map((s) => ({ ...s, dir: 'input' })), ...schema.outputs.map((s) => ({ ...s, dir: 'output' }))]
  return (
    <table>
      <caption>Inputs and outputs</caption>
      <thead><tr><th scope="col">Tensor</th><th scope="col">Direction</th><th scope="col">Type</th><th scope="col">Shape</th></tr></thead>
      <tbody>
        {rows.map((s) => (
          <tr key={`${s.dir}:${s.name}`}><th scope="row"><code>{s.name}</code></th><td>{s.dir}</td><td>{s.dtype ?? <span className="muted">unknown</span>}</td><td><Shape shape={s.shape} /></td></tr>
        ))}
      </tbody>
    </table>
  )
}

function ProofModes({ release }: { release: ReleaseJson }) {
  const node = useNode()
  const served = node?.modes ?? ['VANILLA']
  return (
    <ul className="modes" aria-label="Proof modes">
      <li><strong>VANILLA</strong> — {served.includes('VANILLA') ? 'served by this node: the node signs every output.' : 'not served by this node.'}</li>
      <li><strong>ZKML</strong> — {release.vkHash ? <>a verifying key is published for this release (vk hash <code>{release.vkHash}</code>){served.includes('ZKML') ? '; this node serves proofs.' : ', but this node does not serve proofs.'}</> : 'no verifying key is published for this release.'}</li>
      <li><strong>TEE</strong> — {served.includes('TEE') ? 'served by this node with a hardware attestation.' : 'not served by this node.'}</li>
      <li><strong>QUORUM</strong> — {served.includes('QUORUM') ? 'served by this node.' : 'not served by this node.'}</li>
    </ul>
  )
}

export function ModelPage({ owner, name }: { owner: string; name: string }) {
  const node = useNode()
  const card = useApi<ModelCardJson>(`/v1/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`)
  const [release, setRelease] = useState<string | null>(null)
  useEffect(() => {
    if (card.state === 'ready') setRelease(card.data.latestRelease ?? card.data.releases[0]?.release ?? null)
  }, [card.state])

  if (card.state === 'loading') return <><h1 tabIndex={-1}>{owner}/{name}</h1><p role="status">Loading the model card…</p></>
  if (card.state === 'error') return <><h1 tabIndex={-1}>{owner}/{name}</h1><Problem error={card.error} what="This model could not be loaded." /></>
  const m = card.data
  const rel = m.releases.find((r) => r.release === release) ?? null
  const onnx: FileJson | undefined = rel?.files.find((f) => f.schema !== null) ?? rel?.files[0]
  return (
    <>
      <h1 tabIndex={-1}>{m.owner}/{m.name}</h1>
      <p className="meta">
        {m.task ? <span>{m.task}</span> : null}<span>license {m.license}</span><span>{formatCount(m.downloads)} runs and downloads</span><span>{m.visibility}</span>
      </p>
      {m.tags.length > 0 ? <ul className="tags" aria-label="Tags">{m.tags.map((t) => <li key={t}>{t}</li>)}</ul> : null}
      <section aria-labelledby="about"><h2 id="about">About</h2>{m.description ? <Markdown source={m.description} /> : <p className="muted">No description.</p>}</section>

      <section aria-labelledby="releases">
        <h2 id="releases">Releases</h2>
        {m.releases.length === 0 ? <p>No releases yet.</p> : (
          <div className="field">
            <label htmlFor="release">Release</label>
            <select id="release" value={release ?? ''} onChange={(e) => setRelease(e.target.value)}>
              {m.releases.map((r) => <option key={r.release} value={r.release}>{r.release}{r.published ? '' : ' (draft)'}{r.release === m.latestRelease ? ' — latest' : ''}</option>)}
            </select>
          </div>
        )}
        {rel ? (
          <>
            <p className="muted">{rel.published ? `Published ${new Date(rel.publishedAt ?? rel.createdAt).toLocaleString()}; immutable.` : 'Draft: files may still change.'}</p>
            <table>
              <caption>Files (each CID is the hash of the file's bytes)</caption>
              <thead><tr><th scope="col">Path</th><th scope="col">Size</th><th scope="col">CID</th></tr></thead>
              <tbody>{rel.files.map((f) => <tr key={f.path}><th scope="row"><code>{f.path}</code></th><td>{formatBytes(f.size)}</td><td><a href={`/v1/blobs/${f.cid}`} download={f.path.split('/').pop()}><code className="cid">{f.cid}</code></a></td></tr>)}</tbody>
            </table>
            <h3>Proof modes</h3>
            <ProofModes release={rel} />
            {onnx?.schema ? <SchemaTable schema={onnx.schema} /> : <p className="muted">No input/output schema is known for this release.</p>}
          </>
        ) : null}
      </section>

      {rel && onnx?.schema ? (
        <section aria-labelledby="run">
          <h2 id="run">Run it</h2>
          <p>Runs <code>{m.owner}/{m.name}@{rel.release}</code> on this node, then checks the signed result here, in your browser.</p>
          <RunForm key={`${rel.release}:${onnx.cid}`} modelRef={`${m.owner}/${m.name}@${rel.release}`} cid={onnx.cid} schema={onnx.schema}
            modes={['VANILLA', ...(rel.vkHash && node?.modes.includes('ZKML') ? ['ZKML'] : []), ...(node?.modes.includes('TEE') ? ['TEE'] : [])]} />
        </section>
      ) : null}
    </>
  )
}
