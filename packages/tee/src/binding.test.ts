import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bindingFor, bindingHex, checkBinding } from './binding.ts'
import { createDevAttester } from './dev.ts'
import { verifyAttestation } from './verifyAttestation.ts'

// Test vectors, frozen: change them only with a new binding domain ("verity-tee-v2").
const ADDRESS = '0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1'
const TLS_SPKI = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d03010703420004' + '11'.repeat(64), 'hex')
const VECTORS = {
  noTls: '0x4a683a021d897a1d57310c954cceedbc40c9fef8fe162fb8b16f50ccd1af04ae0000000000000000000000000000000000000000000000000000000000000000',
  withTls: '0x5e8e4601850a294e9ddb6089e40591d4f7baf1147d693fd00b3b2c3caee4a9050000000000000000000000000000000000000000000000000000000000000000',
}

test('binding vectors', () => {
  assert.equal(bindingHex(ADDRESS), VECTORS.noTls)
  assert.equal(bindingHex(ADDRESS.toLowerCase()), VECTORS.noTls, 'address case does not matter')
  assert.equal(bindingHex(ADDRESS, { tlsSpki: TLS_SPKI }), VECTORS.withTls)
  assert.equal(bindingFor(ADDRESS).length, 64)
  assert.throws(() => bindingFor('0x1234'), TypeError)
})

test('checkBinding accepts the bound address and refuses others', () => {
  const attester = createDevAttester()
  const now = Date.now()
  const evidence = attester.attest(bindingFor(ADDRESS, { tlsSpki: TLS_SPKI }), now)
  const verified = verifyAttestation(evidence, { now, policy: { allowInsecureDev: true } })
  assert.equal(verified.ok, true)
  assert.equal(checkBinding(verified, ADDRESS, { tlsSpki: TLS_SPKI }).ok, true)
  assert.equal(checkBinding(verified, ADDRESS).ok, false, 'the TLS key is part of the binding')
  const other = checkBinding(verified, '0x0000000000000000000000000000000000000001', { tlsSpki: TLS_SPKI })
  assert.equal(other.ok, false)
  assert.match(other.message, /does not commit to node 0x0000000000000000000000000000000000000001/)
  const unverified = verifyAttestation(evidence, { now })
  const refused = checkBinding(unverified, ADDRESS, { tlsSpki: TLS_SPKI })
  assert.equal(refused.ok, false)
  assert.match(refused.message, /did not verify/)
})
