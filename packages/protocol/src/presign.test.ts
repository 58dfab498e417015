import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { recoverAddress } from 'viem'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { createReceiptSigner } from './presign.ts'
import * as portable from './secp256k1.ts'
import * as native from './secp256k1.node.ts'
import { bytesToHex, hexToBytes, type Hex } from './bytes.ts'
import { privateKeyToAddress } from './address.ts'
import { receiptDigest, recoverReceiptSigner, ZERO_HASH, type Receipt } from './receipt.ts'

const hex = (seed: string) => bytesToHex(createHash('sha256').update(seed).digest())
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

test('presigned signatures recover to the key (viem, and the receipt verifier), verify with noble, and are low-s', async () => {
  for (let i = 0; i < 60; i++) {
    const key = hex(`key ${i}`)
    const signer = createReceiptSigner(key)
    const digest = hex(`digest ${i}`)
    if (i % 2 === 0) signer.prepare()
    const signature = signer.signDigest(digest)
    assert.match(signature, /^0x[0-9a-f]{128}(1b|1c)$/)
    assert.ok(BigInt(`0x${signature.slice(66, 130)}`) <= HALF_N, `low s (${i})`)
    assert.equal(await recoverAddress({ hash: digest, signature }), privateKeyToAddress(key), `viem recovers the signer (${i})`)
    const compact = hexToBytes(signature).subarray(0, 64)
    assert.ok(secp256k1.verify(compact, hexToBytes(digest), secp256k1.getPublicKey(hexToBytes(key)), { prehash: false }), `noble verifies (${i})`)
  }
})

test('a presigned receipt verifies like a deterministic one', () => {
  const key = hex('node key')
  const receipt: Receipt = {
    requestId: hex('request'), modelDigest: hex('model'), inputHash: hex('in'), outputHash: hex('out'), mode: 'VANILLA', proofHash: ZERO_HASH,
    node: privateKeyToAddress(key), timestamp: 1_790_000_000, chainId: 31337,
  }
  const signer = createReceiptSigner(key)
  signer.prepare()
  assert.equal(recoverReceiptSigner(receipt, signer.signDigest(receiptDigest(receipt))), receipt.node)
})

test('every signature takes a fresh nonce: each prepare() readies one, each signDigest uses one once', () => {
  const signer = createReceiptSigner(hex('key'))
  const digest = hex('same digest')
  const rs = new Set<string>()
  for (let i = 0; i < 30; i++) {
    // Requests overlap: two prepared, one signed, and sometimes none prepared at all.
    if (i % 3 === 0) { signer.prepare(); signer.prepare() }
    rs.add(signer.signDigest(digest).slice(2, 66))
  }
  for (let i = 0; i < 70; i++) signer.prepare() // capped: at most 64 wait
  for (let i = 0; i < 70; i++) rs.add(signer.signDigest(digest).slice(2, 66))
  assert.equal(rs.size, 100, 'no r (hence no nonce) repeats')
})

test('the Node (libsecp256k1) and portable (noble) base-point multiplications agree', () => {
  for (const k of ['0x01', '0x02', hex('a'), hex('b'), '0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140']) {
    const scalar = hexToBytes(`0x${k.slice(2).padStart(64, '0')}` as Hex)
    assert.equal(bytesToHex(native.multiplyBasePoint(scalar)), bytesToHex(portable.multiplyBasePoint(scalar)))
  }
})

test('a private key outside [1, n) is refused', () => {
  assert.throws(() => createReceiptSigner(ZERO_HASH), /\[1, n\)/)
  assert.throws(() => createReceiptSigner('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141'), /\[1, n\)/)
  assert.throws(() => createReceiptSigner('0x1234'), /32 bytes/)
})
