import { useState, type DragEvent, type FormEvent } from 'react'
import { isThisNode, verifyTextWithEvidence, type Verdict } from '../lib/checks.ts'
import { hrefs } from '../lib/router.ts'
import { Link, useNode } from '../nav.tsx'
import { VerdictView } from '../components/Verdict.tsx'

export function VerifyPage() {
  const node = useNode()
  const [text, setText] = useState('')
  const [dragging, setDragging] = useState(false)
  const [verdict, setVerdict] = useState<Verdict | null>(null)

  const [checking, setChecking] = useState(false)
  const check = (value: string) => {
    setChecking(true)
    verifyTextWithEvidence(value).then(setVerdict, (error: unknown) => setVerdict({ status: 'failed', headline: `The checks could not run: ${(error as Error).message}`, checks: [], receiptId: null, signer: null })).finally(() => setChecking(false))
  }
  const readFile = async (file: File | undefined) => {
    if (!file) return
    const content = await file.text()
    setText(content)
    check(content)
  }
  const submit = (event: FormEvent) => { event.preventDefault(); check(text) }
  const drop = (event: DragEvent) => { event.preventDefault(); setDragging(false); void readFile(event.dataTransfer.files[0]) }

  return (
    <>
      <h1 tabIndex={-1}>Verify a result</h1>
      <p className="lead">
        Paste a result saved with <code>verity infer --out result.json</code> (or from the "Save result JSON" button), or drop the file here.
        This page recomputes the input and output hashes, recovers the signer from the signature and checks the model digest — all in your
        browser; nothing is sent anywhere.
      </p>
      <form onSubmit={submit} className={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => { e.preventDefault(); setDragging(true) }} onDragLeave={() => setDragging(false)} onDrop={drop}>
        <div className="field">
          <label htmlFor="result-json">Result JSON</label>
          <textarea id="result-json" rows={12} spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} placeholder='{"version": 1, "model": "bafkrei…", "input": …, "output": …, "receipt": …, "signature": "0x…"}' />
        </div>
        <div className="row">
          <button type="submit" disabled={checking}>Verify</button>
          <span className="field file">
            <label htmlFor="result-file">or choose a file</label>
            <input id="result-file" type="file" accept="application/json,.json" onChange={(e) => void readFile(e.target.files?.[0])} />
          </span>
        </div>
      </form>
      {checking ? <p role="status">Checking in your browser…</p> : null}
      {verdict && !checking ? (
        <>
          <VerdictView verdict={verdict} />
          {verdict.signer ? (
            <p>
              {isThisNode(verdict.signer, node?.address) ? 'The signer is the node serving this page.' : 'The signer is not the node serving this page; decide whether you trust that address.'}
              {verdict.receiptId && isThisNode(verdict.signer, node?.address) ? <> <Link href={hrefs.receipt(verdict.receiptId)}>Compare with this node's copy of the receipt</Link>.</> : null}
            </p>
          ) : null}
        </>
      ) : null}
    </>
  )
}
