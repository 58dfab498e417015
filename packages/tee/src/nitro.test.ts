import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VerityError } from '@verity/protocol'
import { AMD_ARK_MILAN_PEM } from './roots.ts'
import { parseNitroDocument, verifyNitro } from './nitro.ts'
import { fixtures, flipPcr0, tamperedNitro } from './_fixtures.ts'

const now = fixtures.nitroTime + 5_000
const failed = (r: { checks: { check: string; ok: boolean }[] }) => r.checks.filter((c) => !c.ok).map((c) => c.check)

test('a real Nitro document verifies against the pinned AWS root', () => {
  const r = verifyNitro(fixtures.nitro(), { now })
  assert.deepEqual(failed(r), [])
  assert.equal(r.ok, true)
  assert.equal(r.kind, 'nitro')
  assert.equal(r.debug, false)
  assert.equal(r.measurement, '0xe72a46ca80a260fb044a125442f0c7e331813bcbaf9724d9f3857758992766f2d65710a27aa94ae3949dd54e7c9fe86a')
  assert.match(r.measurementHash, /^0x[0-9a-f]{64}$/)
  assert.equal(r.timestamp, fixtures.nitroTime)
  assert.equal(r.reportData.length, 1024)
  assert.equal((r.claims.pcrs as Record<string, string>)['4'], '0x45706d7b621e4620a332e147a5ddb000b049f73d47d3e61f6b03d2069152d4df6a4a786ad1c10102b955799a9dc96b44')
  assert.equal(r.claims.moduleId, 'i-0a22e5c5f24d22174-enc0191cceb4289903f')
  for (const c of r.checks) assert.ok(c.message.length > 20, c.check)
})

test('a flipped signature byte fails the signature check', () => {
  const bytes = fixtures.nitro()
  bytes[bytes.length - 10]! ^= 0x01
  const r = verifyNitro(bytes, { now })
  assert.equal(r.ok, false)
  assert.deepEqual(failed(r), ['signature'])
})

test('a changed PCR fails the signature check and changes the measurement', () => {
  const r = verifyNitro(tamperedNitro(flipPcr0), { now })
  assert.deepEqual(failed(r), ['signature'])
  assert.notEqual(r.measurement, '0xe72a46ca80a260fb044a125442f0c7e331813bcbaf9724d9f3857758992766f2d65710a27aa94ae3949dd54e7c9fe86a')
})

test('changed user data fails the signature check', () => {
  const changed = tamperedNitro((payload) => payload.set('user_data', new Uint8Array(64)))
  assert.deepEqual(failed(verifyNitro(changed, { now })), ['signature'])
})

test('an expired certificate fails the validity check', () => {
  const later = Date.parse('2024-09-08T00:00:00Z')
  const r = verifyNitro(fixtures.nitro(), { now: later, policy: { maxAgeSeconds: 86_400 } })
  assert.deepEqual(failed(r), ['validity'])
  assert.match(r.checks.find((c) => c.check === 'validity')!.message, /outside the validity period/)
})

test('an old document fails freshness', () => {
  const r = verifyNitro(fixtures.nitro(), { now: fixtures.nitroTime + 3_600_000 })
  assert.deepEqual(failed(r), ['freshness'])
})

test('a wrong pinned root fails the root check', () => {
  const r = verifyNitro(fixtures.nitro(), { now, policy: { roots: { nitro: AMD_ARK_MILAN_PEM } } })
  assert.deepEqual(failed(r), ['root'])
})

test('a debug enclave (PCR0-2 zero) is refused unless the policy allows debug', () => {
  const bytes = fixtures.nitroDebug()
  const debugNow = fixtures.nitroDebugTime + 1_000
  const refused = verifyNitro(bytes, { now: debugNow })
  assert.equal(refused.debug, true)
  assert.deepEqual(failed(refused), ['debug'])
  const allowed = verifyNitro(bytes, { now: debugNow, policy: { allowDebug: true } })
  assert.equal(allowed.ok, true)
})

test('expected measurements are enforced', () => {
  assert.deepEqual(failed(verifyNitro(fixtures.nitro(), { now, policy: { expectedMeasurements: ['0x00'] } })), ['measurement'])
})

test('bytes that are not a Nitro document throw ATTESTATION_MALFORMED', () => {
  assert.throws(() => verifyNitro(new Uint8Array([1, 2, 3]), { now }), (e: unknown) => e instanceof VerityError && e.code === 'ATTESTATION_MALFORMED')
  assert.throws(() => verifyNitro(fixtures.nitro(), { now: undefined as unknown as number }), TypeError)
})

test('second implementation: noble agrees, and the debug fixture carries a high-s signature COSE must accept', async () => {
  const { p384 } = await import('@noble/curves/nist.js')
  const { Encoder } = await import('cbor-x')
  const { X509Certificate, createHash } = await import('node:crypto')
  const cbor = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false })
  const doc = parseNitroDocument(fixtures.nitroDebug())
  const digest = createHash('sha384').update(cbor.encode(['Signature1', doc.protectedHeader, new Uint8Array(0), doc.payload])).digest()
  const jwk = new X509Certificate(doc.certificate).publicKey.export({ format: 'jwk' })
  const pub = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')])
  assert.equal(p384.verify(doc.signature, digest, pub, { prehash: false, lowS: false }), true)
  assert.equal(p384.verify(doc.signature, digest, pub, { prehash: false, lowS: true }), false)
  assert.equal(verifyNitro(fixtures.nitroDebug(), { now: fixtures.nitroDebugTime, policy: { allowDebug: true } }).checks.find((c) => c.check === 'signature')!.ok, true)
})

test('a document wrapped in the COSE_Sign1 tag (18) verifies too', async () => {
  const { Encoder, Tag } = await import('cbor-x')
  const cbor = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false })
  const tagged = cbor.encode(new Tag(cbor.decode(fixtures.nitro()), 18))
  assert.equal(tagged[0], 0xd2)
  assert.equal(verifyNitro(tagged, { now }).ok, true)
})
