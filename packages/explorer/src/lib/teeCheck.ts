/**
 * The TEE check in the page (loaded lazily, only for TEE results): @verity/tee/browser re-verifies the
 * attestation — certificate chain to the pinned vendor root, the document's signature, freshness at
 * the receipt's time, debug mode — and its binding to the node that signed the receipt. A `dev`
 * attestation is shown for what it is: anyone can make one, so it proves nothing.
 */
import { checkTeeResult } from '@verity/tee/browser'
import type { InferenceResult } from '@verity/protocol'
import type { DisplayCheck } from './checks.ts'

const titles: Record<string, string> = {
  root: 'Pinned vendor root', chain: 'Certificate chain', validity: 'Certificates valid', signature: 'Attestation signature', freshness: 'Attestation fresh',
  debug: 'Not a debug enclave', 'insecure-dev': 'Hardware behind it', measurement: 'Expected code', kind: 'Attestation kind', binding: 'Bound to the signing node',
  format: 'Attestation readable', tcb: 'Firmware level', chip: 'Chip identity', collateral: 'Vendor collateral', revocation: 'Not revoked',
}

export type TeeDisplay = { mode: DisplayCheck; details: DisplayCheck[]; facts: Array<[string, string]> }

export async function checkTeeInBrowser(result: InferenceResult): Promise<TeeDisplay> {
  const at = result.receipt.timestamp * 1000
  const r = await checkTeeResult(result, { now: at })
  const a = r.attestation
  if (r.unsupported) return { mode: { id: 'mode', title: 'TEE attestation', status: 'skip', message: r.mode.message }, details: [], facts: [] }
  const details: DisplayCheck[] = a ? a.checks.map((c) => ({ id: `tee-${c.check}`, title: titles[c.check] ?? c.check, status: c.ok ? 'pass' : 'fail', message: c.message })) : []
  if (r.binding) details.push({ id: 'tee-binding', title: titles.binding!, status: r.binding.ok ? 'pass' : 'fail', message: r.binding.message })
  const facts: Array<[string, string]> = a ? [
    ['Provider', a.provider], ['Measurement', a.measurement], ['Measurement hash', a.measurementHash],
    ['Produced', a.timestamp === null ? 'not stated by this kind of evidence' : new Date(a.timestamp).toISOString()], ['Checked as of', `${new Date(at).toISOString()} (the receipt's time)`],
  ] : []
  // The dev provider is for local networks: its only failing check is that no hardware vouches for it.
  const devOnly = a?.kind === 'dev' && a.checks.every((c) => c.ok || c.check === 'insecure-dev') && r.binding?.message.includes('did not verify')
  if (devOnly) {
    const dev = details.find((c) => c.id === 'tee-insecure-dev')!
    dev.status = 'skip'
    const binding = details.find((c) => c.id === 'tee-binding')
    if (binding) { binding.status = 'skip'; binding.message = `The dev document's report data names node ${result.receipt.node}, but a dev document proves nothing, so neither does this binding.` }
    return {
      mode: { id: 'mode', title: 'TEE attestation', status: 'skip', message: 'Mode TEE with the dev provider: this attestation proves NOTHING. It is signed by a key the node made itself, with no hardware behind it — anyone can produce one. It is for local test networks only.' },
      details, facts,
    }
  }
  return { mode: { id: 'mode', title: 'TEE attestation', status: r.mode.ok ? 'pass' : 'fail', message: `${r.mode.message} Checked in your browser as of the receipt's time.` }, details, facts }
}
