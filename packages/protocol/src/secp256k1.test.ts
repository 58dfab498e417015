import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import * as portable from './secp256k1.ts'
import * as native from './secp256k1.node.ts'

const bytes = (seed: string) => new Uint8Array(createHash('sha256').update(seed).digest())

test('the Node (libsecp256k1) and portable (noble) signers give byte-identical signatures and recoveries', () => {
  for (let i = 0; i < 200; i++) {
    const key = bytes(`key ${i}`)
    const digest = bytes(`digest ${i}`)
    const a = portable.signDigest(digest, key)
    const b = native.signDigest(digest, key)
    assert.deepEqual(Buffer.from(b.signature).toString('hex'), Buffer.from(a.signature).toString('hex'), `signature ${i}`)
    assert.equal(b.recovery, a.recovery, `recovery id ${i}`)
    const pa = portable.recoverPublicKey(digest, a.signature, a.recovery)
    const pb = native.recoverPublicKey(digest, a.signature, a.recovery)
    assert.ok(pa !== null && pb !== null)
    assert.equal(Buffer.from(pb).toString('hex'), Buffer.from(pa).toString('hex'), `public key ${i}`)
  }
})

test('both recoverers refuse the same malformed signatures', () => {
  const digest = bytes('digest')
  const { signature } = portable.signDigest(digest, bytes('key'))
  const n = Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex')
  const cases: Array<[string, Uint8Array]> = [
    ['r = 0', Uint8Array.from([...new Uint8Array(32), ...signature.subarray(32)])],
    ['s = 0', Uint8Array.from([...signature.subarray(0, 32), ...new Uint8Array(32)])],
    ['r = n', Uint8Array.from([...n, ...signature.subarray(32)])],
    ['s = n', Uint8Array.from([...signature.subarray(0, 32), ...n])],
  ]
  for (const [label, sig] of cases) {
    assert.equal(portable.recoverPublicKey(digest, sig, 0), null, `portable, ${label}`)
    assert.equal(native.recoverPublicKey(digest, sig, 0), null, `node, ${label}`)
  }
})
