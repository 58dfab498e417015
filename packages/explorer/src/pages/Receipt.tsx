import { useEffect, useMemo, useState } from 'react'
import type { InferenceResult, StoredReceipt } from '@verity/protocol'
import { api } from '../lib/api.ts'
import { verifyForDisplay, verifyWithEvidence, withChecks, type DisplayCheck, type Verdict } from '../lib/checks.ts'
import type { ExplorerChainJson } from '../lib/chainTypes.ts'
import { shortHex } from '../lib/format.ts'
import { useNode } from '../nav.tsx'
import { DownloadJson } from '../components/Download.tsx'
import { Problem } from '../components/Problem.tsx'
import { Tensors } from '../components/Tensors.tsx'
import { VerdictView } from '../components/Verdict.tsx'
import { useApi } from '../useApi.ts'

function ReceiptFields({ stored }: { stored: StoredReceipt }) {
  const r = stored.receipt
  const rows: Array<[string, string, string]> = [
    ['Model (CID)', stored.model, 'The exact model file that ran; its digest is in the receipt.'],
    ['Signed by node', r.node, 'The address whose key signed the receipt.'],
    ['Mode', r.mode, 'How the output is vouched for: VANILLA (signature), ZKML (proof), TEE (attestation), QUORUM (several nodes).'],
    ['Issued', `${new Date(r.timestamp * 1000).toISOString()} (unix ${r.timestamp})`, 'The time the node signed, by its own clock.'],
    ['Request id', r.requestId, 'Lets the same request be run on several nodes.'],
    ['Input hash', r.inputHash, 'sha2-256 of the canonical input tensors (VTS1).'],
    ['Output hash', r.outputHash, 'sha2-256 of the canonical output tensors (VTS1).'],
    ['Proof hash', r.proofHash, 'Commits to the proof or attestation; zero in VANILLA mode.'],
    ['Chain id', String(r.chainId), 'The EIP-712 domain the receipt was signed under.'],
    ['Signature', stored.signature, 'r ‖ s ‖ v over the receipt\'s EIP-712 digest.'],
  ]
  return (
    <table className="fields">
      <caption>The receipt, field by field</caption>
      <tbody>{rows.map(([k, v, help]) => <tr key={k}><th scope="row">{k}</th><td><code className="wrap">{v}</code><span className="help">{help}</span></td></tr>)}</tbody>
    </table>
  )
}

/** On a chain, the registry and settlement checks, read from the chain by this browser (viem, loaded lazily). */
function useChainChecks(stored: StoredReceipt | null, enabled: boolean): DisplayCheck[] | null {
  const [checks, setChecks] = useState<DisplayCheck[] | null>(null)
  useEffect(() => {
    setChecks(null)
    if (!stored || !enabled) return
    let live = true
    Promise.all([api<ExplorerChainJson>('/v1/explorer/chain'), import('../lib/chainCheck.ts')])
      .then(([chain, m]) => Promise.all([m.registryCheck(chain, stored.receipt), m.inclusionCheck(chain, stored.receipt)]))
      .then((c) => { if (live) setChecks(c) }, () => { if (live) setChecks([]) })
    return () => { live = false }
  }, [stored, enabled])
  return checks
}

/**
 * The ZK proof or TEE attestation the node kept with the receipt, re-checked by this browser (the
 * verifiers are lazy chunks, loaded only for such receipts); null while that runs.
 */
function useEvidenceVerdict(stored: StoredReceipt | null, quick: Verdict | null, options: Parameters<typeof verifyWithEvidence>[1]): Verdict | null {
  const [verdict, setVerdict] = useState<Verdict | null>(null)
  const needed = stored !== null && stored.proof !== undefined && stored.proof !== null && stored.receipt.mode !== 'VANILLA'
  useEffect(() => {
    setVerdict(null)
    if (!stored || !needed) return
    let live = true
    verifyWithEvidence(stored, options).then((v) => { if (live) setVerdict(v) }, (error: unknown) => {
      if (live && quick) setVerdict(withChecks(quick, [{ id: 'mode', title: 'Proof, attestation or quorum', status: 'skip', message: `The evidence could not be checked in this browser: ${(error as Error).message}` }], stored))
    })
    return () => { live = false }
  }, [stored, needed, quick])
  return needed ? verdict : quick
}

export function ReceiptPage({ id }: { id: string }) {
  const node = useNode()
  const stored = useApi<StoredReceipt>(`/v1/receipts/${encodeURIComponent(id)}`)
  const options = useMemo(() => ({ expectedId: id, trustedSigners: node ? [node.address] : undefined }), [id, node])
  const quick = useMemo(() => (stored.state === 'ready' ? verifyForDisplay(stored.data, options) : null), [stored, options])
  const evidence = useEvidenceVerdict(stored.state === 'ready' ? stored.data : null, quick, options)
  const chainChecks = useChainChecks(stored.state === 'ready' ? stored.data : null, node?.network !== undefined)
  const verdict = evidence && chainChecks && chainChecks.length > 0 && stored.state === 'ready' ? withChecks(evidence, chainChecks, stored.data) : evidence
  return (
    <>
      <h1 tabIndex={-1}>Receipt <code title={id}>{shortHex(id)}</code></h1>
      {stored.state === 'loading' ? <p role="status">Loading the receipt…</p> : null}
      {stored.state === 'error' ? <Problem error={stored.error} what="This receipt could not be loaded." /> : null}
      {stored.state === 'ready' && quick && !verdict ? <p role="status">Checking the {stored.data.receipt.mode === 'ZKML' ? 'Groth16 proof' : 'attestation'} in your browser…</p> : null}
      {stored.state === 'ready' && verdict ? (
        <>
          <VerdictView verdict={verdict} />
          {node?.network && chainChecks === null ? <p role="status">Reading the chain…</p> : null}
          <p className="actions">
            <span className="field inline">
              <label htmlFor="share">Link to this receipt</label>
              <input id="share" readOnly value={window.location.href} size={40} onFocus={(e) => e.target.select()} />
            </span>
            {stored.data.input && stored.data.output ? (
              <DownloadJson
                value={{ version: 1, model: stored.data.model, input: stored.data.input, output: stored.data.output, receipt: stored.data.receipt, signature: stored.data.signature, ...(stored.data.proof !== undefined ? { proof: stored.data.proof } : {}) } satisfies InferenceResult}
                fileName={`receipt-${id.slice(2, 10)}.json`} label="Save as result JSON" />
            ) : null}
          </p>
          <ReceiptFields stored={stored.data} />
          <Tensors tensors={stored.data.input} caption="Input" />
          <Tensors tensors={stored.data.output} caption="Output" />
        </>
      ) : null}
    </>
  )
}
