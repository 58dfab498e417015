/** Plain-words rendering of verification checks, shared by `infer` and `verify`. */
import type { CheckOutcome } from '@verity/protocol'
import { color, table } from './output.ts'

const labels: Record<string, string> = {
  format: 'format', model: 'model', 'input-hash': 'input', 'output-hash': 'output', signature: 'signature', signer: 'signer', mode: 'proof', registry: 'registry', inclusion: 'on chain',
  attestation: 'attestation', binding: 'key binding',
}

export function renderChecks(checks: readonly CheckOutcome[]): string {
  const rows = checks.map((c) => [c.ok ? color.green('✔') : color.red('✘'), labels[c.check] ?? c.check, c.message])
  const failed = checks.filter((c) => !c.ok)
  const verdict = failed.length === 0
    ? color.green(color.bold(`VERIFIED — all ${checks.length} checks passed`))
    : color.red(color.bold(`NOT VERIFIED — ${failed.length} of ${checks.length} checks failed (${failed.map((c) => labels[c.check] ?? c.check).join(', ')})`))
  return `${table(rows)}\n\n  ${verdict}`
}
