import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bindingFor } from './binding.ts'
import { createDevAttester, verifyDev } from './dev.ts'
import { verifyAttestation } from './verifyAttestation.ts'

const ADDRESS = '0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1'
const failed = (r: { checks: { check: string; ok: boolean }[] }) => r.checks.filter((c) => !c.ok).map((c) => c.check)

test('dev documents are refused unless the policy explicitly allows insecure dev', () => {
  const attester = createDevAttester()
  const now = Date.now()
  const evidence = attester.attest(bindingFor(ADDRESS), now)
  assert.equal(evidence.insecure, true)
  const refused = verifyAttestation(evidence, { now })
  assert.equal(refused.ok, false)
  assert.deepEqual(failed(refused), ['insecure-dev'])
  assert.match(refused.checks[0]!.message, /INSECURE/)
  assert.equal(refused.provider, 'dev (INSECURE)')
  const allowed = verifyAttestation(evidence, { now, policy: { allowInsecureDev: true } })
  assert.equal(allowed.ok, true)
  assert.equal(allowed.kind, 'dev')
})

test('a dev document with a changed field or a stale timestamp fails', () => {
  const attester = createDevAttester({ measurement: `0x${'ab'.repeat(48)}` })
  const now = Date.now()
  const evidence = attester.attest(bindingFor(ADDRESS), now)
  const policy = { allowInsecureDev: true }
  assert.deepEqual(failed(verifyDev({ ...evidence, measurement: `0x${'cd'.repeat(48)}` }, { now, policy })), ['signature'])
  assert.deepEqual(failed(verifyDev({ ...evidence, reportData: `0x${'00'.repeat(64)}` }, { now, policy })), ['signature'])
  assert.deepEqual(failed(verifyDev(evidence, { now: now + 3_600_000, policy })), ['freshness'])
  assert.equal(verifyDev(evidence, { now, policy }).measurement, `0x${'ab'.repeat(48)}`)
})

test('a fixed key gives a reproducible public key', () => {
  const key = `0x${'01'.repeat(32)}` as const
  assert.equal(createDevAttester({ privateKey: key }).publicKey, createDevAttester({ privateKey: key }).publicKey)
  assert.throws(() => createDevAttester().attest(new Uint8Array(10)), TypeError)
})
