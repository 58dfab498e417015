import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VerityError } from '@verity/protocol'
import { AWS_NITRO_ROOT_G1_PEM } from './roots.ts'
import { verifyDcap } from './dcap.ts'
import { fixtures } from './_fixtures.ts'
import type { VerifyPolicy } from './types.ts'

const now = fixtures.tdxTime
// The fixture platform is below every TCB level in its collateral, and the collateral has no CRLs
// (see fixtures/README.md): accept exactly those two facts, nothing else.
const policy: VerifyPolicy = { allowedTcbStatuses: ['UpToDate', 'SWHardeningNeeded', 'NotSupported'], allowMissingCrls: true }
const failed = (r: { checks: { check: string; ok: boolean }[] }) => r.checks.filter((c) => !c.ok).map((c) => c.check)
const evidence = (quote = fixtures.tdxQuote()) => ({ kind: 'tdx' as const, quote, collateral: fixtures.tdxCollateral() })
const MRTD = '0x7ba9e262ce6979087e34632603f354dd8f8a870f5947d116af8114db6c9d0d74c48bec4280e5b4f4a37025a10905bb29'

test('a real TDX quote verifies with its Intel collateral', () => {
  const r = verifyDcap(evidence(), { now, policy })
  assert.deepEqual(failed(r), [])
  assert.equal(r.ok, true)
  assert.equal(r.kind, 'tdx')
  assert.equal(r.claims.mrTd, MRTD)
  assert.equal(r.measurement.length, 2 + 240 * 2)
  assert.ok(r.measurement.startsWith(MRTD))
  assert.equal(r.claims.tcbStatus, 'NotSupported')
  assert.equal(r.debug, false)
  assert.equal(r.reportData.length, 64)
  assert.deepEqual(r.checks.map((c) => c.check), ['root', 'collateral', 'chain', 'signature', 'tcb', 'revocation', 'debug'])
})

test('the default policy refuses the fixture: its TCB is unsupported and its collateral has no CRLs', () => {
  const r = verifyDcap(evidence(), { now })
  assert.deepEqual(failed(r), ['tcb', 'revocation'])
  assert.match(r.checks.find((c) => c.check === 'tcb')!.message, /below every TCB level/)
})

test('a changed MRTD fails the quote signature', () => {
  const quote = fixtures.tdxQuote()
  quote[48 + 136]! ^= 0x01 // MRTD starts at report offset 136
  const r = verifyDcap(evidence(quote), { now, policy })
  assert.deepEqual(failed(r), ['signature'])
  assert.ok(!r.measurement.startsWith(MRTD))
})

test('a flipped quote signature byte fails the quote signature', () => {
  const quote = fixtures.tdxQuote()
  quote[48 + 584 + 4 + 10]! ^= 0x01
  assert.deepEqual(failed(verifyDcap(evidence(quote), { now, policy })), ['signature'])
})

test('stale collateral fails with a clear message unless now is inside its validity', () => {
  const r = verifyDcap(evidence(), { now: Date.parse('2025-06-20T00:00:00Z'), policy })
  assert.deepEqual(failed(r), ['collateral'])
  assert.match(r.checks.find((c) => c.check === 'collateral')!.message, /stale.*2025-04-12.*fresh collateral/)
})

test('tampered collateral fails Intel signature check', () => {
  const e = evidence()
  e.collateral.tcb_info = e.collateral.tcb_info.replace('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":18')
  assert.deepEqual(failed(verifyDcap(e, { now, policy })), ['collateral'])
})

test('a wrong pinned root fails', () => {
  const r = verifyDcap(evidence(), { now, policy: { ...policy, roots: { intel: AWS_NITRO_ROOT_G1_PEM } } })
  assert.equal(r.ok, false)
  assert.equal(failed(r)[0], 'root')
})

test('kind mismatch is reported; garbage throws ATTESTATION_MALFORMED', () => {
  const r = verifyDcap({ ...evidence(), kind: 'sgx' }, { now, policy })
  assert.deepEqual(failed(r), ['kind'])
  assert.throws(() => verifyDcap({ ...evidence(), quote: new Uint8Array(10) }, { now }), (e: unknown) => e instanceof VerityError && e.code === 'ATTESTATION_MALFORMED')
})
