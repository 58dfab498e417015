import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VerityError } from '@verity/protocol'
import { attestationDigest, normalizeEvidence, verifyAttestation } from './verifyAttestation.ts'
import { fixtures } from './_fixtures.ts'

const isMalformed = (e: unknown) => e instanceof VerityError && e.code === 'ATTESTATION_MALFORMED'

test('dispatches every real fixture by kind', () => {
  assert.equal(verifyAttestation({ kind: 'nitro', document: Buffer.from(fixtures.nitro()).toString('base64') }, { now: fixtures.nitroTime }).ok, true)
  assert.equal(verifyAttestation(fixtures.nitro(), { now: fixtures.nitroTime }).ok, true)
  assert.equal(verifyAttestation({ kind: 'sev-snp', report: fixtures.snpReport(), vcek: fixtures.snpVcek() }, { now: fixtures.snpTime }).ok, true)
  const tdx = verifyAttestation({ kind: 'tdx', quote: fixtures.tdxQuote(), collateral: fixtures.tdxCollateral() }, {
    now: fixtures.tdxTime, policy: { allowedTcbStatuses: ['UpToDate', 'NotSupported'], allowMissingCrls: true },
  })
  assert.equal(tdx.ok, true)
})

test('an unexpected kind fails the kind check', () => {
  const r = verifyAttestation(fixtures.nitro(), { now: fixtures.nitroTime, kind: 'sev-snp' })
  assert.equal(r.ok, false)
  assert.equal(r.checks.at(-1)!.check, 'kind')
})

test('raw SNP reports and DCAP quotes ask for what they miss', () => {
  assert.throws(() => verifyAttestation(fixtures.snpReport(), { now: 0 }), (e: unknown) => isMalformed(e) && /VCEK/.test((e as Error).message))
  assert.throws(() => verifyAttestation(fixtures.tdxQuote(), { now: 0 }), (e: unknown) => isMalformed(e) && /collateral/.test((e as Error).message))
  assert.throws(() => verifyAttestation({ kind: 'tpm' } as never, { now: 0 }), isMalformed)
})

test('attestationDigest is independent of the binary encoding used', () => {
  const a = attestationDigest({ kind: 'sev-snp', report: fixtures.snpReport(), vcek: fixtures.snpVcek() })
  const b = attestationDigest({ kind: 'sev-snp', report: Buffer.from(fixtures.snpReport()).toString('hex'), vcek: Buffer.from(fixtures.snpVcek()).toString('base64') })
  assert.equal(a, b)
  assert.match(a, /^0x[0-9a-f]{64}$/)
  assert.equal((normalizeEvidence({ kind: 'nitro', document: fixtures.nitro() }) as { document: string }).document.slice(0, 10), '0x8444a101')
})
