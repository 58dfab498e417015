/** Verification time per attestation format, on the real fixtures (ms per verification). */
import { sample, summarize, type BenchContext } from '@verity/bench'
import { bindingFor, createDevAttester, verifyAttestation, type AttestationEvidence, type VerifyOptions } from '../src/index.ts'
import { fixtures } from '../src/_fixtures.ts'

export default async function (ctx: BenchContext): Promise<void> {
  const iterations = ctx.quick ? 10 : 100
  const dev = createDevAttester()
  const devNow = Date.now()
  const cases: [string, AttestationEvidence, VerifyOptions][] = [
    ['AWS Nitro (COSE ES384 + 4-cert chain)', { kind: 'nitro', document: fixtures.nitro() }, { now: fixtures.nitroTime }],
    ['AMD SEV-SNP (P-384 + RSA-PSS chain)', { kind: 'sev-snp', report: fixtures.snpReport(), vcek: fixtures.snpVcek() }, { now: fixtures.snpTime }],
    ['Intel TDX DCAP (dcap-qvl + collateral)', { kind: 'tdx', quote: fixtures.tdxQuote(), collateral: fixtures.tdxCollateral() },
      { now: fixtures.tdxTime, policy: { allowedTcbStatuses: ['UpToDate', 'NotSupported'], allowMissingCrls: true } }],
    ['dev (INSECURE, P-256)', dev.attest(bindingFor('0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1'), devNow), { now: devNow, policy: { allowInsecureDev: true } }],
  ]
  const rows: (string | number)[][] = []
  for (const [name, evidence, options] of cases) {
    ctx.progress(name)
    if (!verifyAttestation(evidence, options).ok) throw new Error(`${name}: fixture did not verify`)
    const s = summarize(await sample(() => verifyAttestation(evidence, options), iterations))
    rows.push([name, s.mean, s.p50, s.p95, Math.round(1000 / s.mean)])
  }
  ctx.printTable(`verifyAttestation, ${iterations} runs each`, ['format', 'mean ms/op', 'p50 ms', 'p95 ms', 'ops/s'], rows)
}
