import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VerityError } from '@verity/protocol'
import { AMD_ARK_MILAN_PEM, AWS_NITRO_ROOT_G1_PEM } from './roots.ts'
import { parseSnpReport, verifySnp } from './snp.ts'
import { fixtures } from './_fixtures.ts'

const now = fixtures.snpTime
const failed = (r: { checks: { check: string; ok: boolean }[] }) => r.checks.filter((c) => !c.ok).map((c) => c.check)
const evidence = (report = fixtures.snpReport()) => ({ kind: 'sev-snp' as const, report, vcek: fixtures.snpVcek() })
const MEASUREMENT = '0x7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f'

test('a real Milan SEV-SNP report verifies with its VCEK up to the pinned ARK', () => {
  const r = verifySnp(evidence(), { now })
  assert.deepEqual(failed(r), [])
  assert.equal(r.ok, true)
  assert.equal(r.measurement, MEASUREMENT)
  assert.equal(r.debug, false)
  assert.equal(Buffer.from(r.reportData).toString('hex').slice(0, 16), 'd447b55d197491bf')
  assert.deepEqual(r.claims.reportedTcb, { bootLoader: 3, tee: 0, snp: 8, microcode: 115 })
  assert.equal(r.claims.policy, '0x30000')
})

test('evidence as JSON strings (hex report, base64 VCEK) verifies the same', () => {
  const r = verifySnp({ kind: 'sev-snp', report: Buffer.from(fixtures.snpReport()).toString('hex'), vcek: Buffer.from(fixtures.snpVcek()).toString('base64') }, { now })
  assert.equal(r.ok, true)
})

test('a changed measurement fails the signature check', () => {
  const report = fixtures.snpReport()
  report[0x90]! ^= 0x80
  const r = verifySnp(evidence(report), { now })
  assert.deepEqual(failed(r), ['signature'])
  assert.notEqual(r.measurement, MEASUREMENT)
})

test('a flipped signature byte fails the signature check', () => {
  const report = fixtures.snpReport()
  report[0x2a0 + 5]! ^= 0x01
  assert.deepEqual(failed(verifySnp(evidence(report), { now })), ['signature'])
})

test('setting the DEBUG policy bit fails both the signature and the debug checks', () => {
  const report = fixtures.snpReport()
  report[0x0a]! |= 0x08 // policy bit 19
  assert.equal(parseSnpReport(report).debugAllowed, true)
  assert.deepEqual(failed(verifySnp(evidence(report), { now })), ['signature', 'debug'])
})

test('a changed CHIP_ID no longer matches the VCEK', () => {
  const report = fixtures.snpReport()
  report[0x1a0]! ^= 0x01
  assert.deepEqual(failed(verifySnp(evidence(report), { now })), ['chip', 'signature'])
})

test('an expired VCEK fails the validity check', () => {
  const r = verifySnp(evidence(), { now: Date.parse('2031-01-01T00:00:00Z') })
  assert.deepEqual(failed(r), ['validity'])
})

test('a chain ending at another root than the pinned one fails the root check', () => {
  const r = verifySnp({ ...evidence(), ark: AMD_ARK_MILAN_PEM }, { now, policy: { roots: { amdArk: AWS_NITRO_ROOT_G1_PEM } } })
  assert.deepEqual(failed(r), ['root'])
})

test('a truncated report throws ATTESTATION_MALFORMED', () => {
  assert.throws(() => verifySnp(evidence(fixtures.snpReport().subarray(0, 100)), { now }), (e: unknown) => e instanceof VerityError && e.code === 'ATTESTATION_MALFORMED')
})

test('a Milan VCEK presented with the Genoa chain fails the chain check', async () => {
  const { AMD_ASK_GENOA_PEM, AMD_ARK_GENOA_PEM } = await import('./roots.ts')
  const r = verifySnp({ ...evidence(), ask: AMD_ASK_GENOA_PEM, ark: AMD_ARK_GENOA_PEM }, { now })
  assert.ok(failed(r).includes('root') && failed(r).includes('chain'))
})
