import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { hashTypedData, recoverTypedDataAddress, hashDomain, keccak256, toHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  domainSeparator, privateKeyToAddress, receiptDigest, receiptDomain, receiptTypes, receiptTypeHash, receiptStructHash,
  recoverReceiptSigner, signReceipt, signReceiptDigest, modeCode, type Receipt, type Hex,
} from './index.ts'

const vectors = JSON.parse(readFileSync(new URL('../vectors/receipts.json', import.meta.url), 'utf8')) as {
  privateKey: Hex; address: string; cases: Array<{ receipt: Receipt; digest: Hex; signature: Hex }>
}

const viemMessage = (r: Receipt) => ({ ...r, mode: modeCode[r.mode], timestamp: BigInt(r.timestamp) })

test('receipt digests match viem hashTypedData (independent EIP-712 implementation)', () => {
  for (const { receipt } of vectors.cases) {
    const expected = hashTypedData({ domain: receiptDomain(receipt.chainId), types: receiptTypes, primaryType: 'Receipt', message: viemMessage(receipt) })
    assert.equal(receiptDigest(receipt), expected)
  }
  assert.equal(domainSeparator(31337), hashDomain({ domain: { ...receiptDomain(31337), chainId: 31337n }, types: { EIP712Domain: [
    { name: 'name', type: 'string' }, { name: 'version', type: 'string' }, { name: 'chainId', type: 'uint256' }] } }))
  assert.equal(receiptTypeHash(), keccak256(toHex('Receipt(bytes32 requestId,bytes32 modelDigest,bytes32 inputHash,bytes32 outputHash,uint8 mode,bytes32 proofHash,address node,uint64 timestamp)')))
})

test('receipt vectors: digest and signature are frozen', () => {
  assert.equal(privateKeyToAddress(vectors.privateKey), vectors.address)
  for (const { receipt, digest, signature } of vectors.cases) {
    assert.equal(receiptDigest(receipt), digest)
    assert.equal(signReceipt(receipt, vectors.privateKey), signature)
    assert.equal(signReceiptDigest(digest, vectors.privateKey), signature)
    assert.equal(recoverReceiptSigner(receipt, signature), vectors.address)
  }
})

test('signatures match viem signTypedData byte for byte and recover with viem', async () => {
  const account = privateKeyToAccount(vectors.privateKey)
  for (const { receipt } of vectors.cases) {
    const args = { domain: receiptDomain(receipt.chainId), types: receiptTypes, primaryType: 'Receipt' as const, message: viemMessage(receipt) }
    const ours = signReceipt(receipt, vectors.privateKey)
    assert.equal(ours, await account.signTypedData(args))
    assert.equal(await recoverTypedDataAddress({ ...args, signature: ours }), vectors.address)
  }
})

test('any changed field changes the signer', () => {
  const { receipt, signature } = vectors.cases[0]!
  const flip = (h: Hex): Hex => `${h.slice(0, -1)}${h.endsWith('0') ? '1' : '0'}` as Hex
  const variants: Receipt[] = [
    { ...receipt, requestId: flip(receipt.requestId) }, { ...receipt, modelDigest: flip(receipt.modelDigest) },
    { ...receipt, inputHash: flip(receipt.inputHash) }, { ...receipt, outputHash: flip(receipt.outputHash) },
    { ...receipt, mode: 'ZKML' }, { ...receipt, proofHash: flip(receipt.proofHash) }, { ...receipt, timestamp: receipt.timestamp + 1 },
    { ...receipt, chainId: receipt.chainId + 1 },
  ]
  for (const v of variants) assert.notEqual(recoverReceiptSigner(v, signature), vectors.address)
  assert.equal(receiptStructHash(receipt) === receiptStructHash(variants[0]!), false)
})

test('malformed and high-s signatures are rejected, not thrown', () => {
  const { receipt, signature } = vectors.cases[0]!
  assert.equal(recoverReceiptSigner(receipt, '0x1234'), null)
  assert.equal(recoverReceiptSigner(receipt, `${signature.slice(0, -2)}1f`), null)
  // v = 0/1 (the raw recovery id) is refused, as on chain: a signature has one encoding.
  assert.equal(recoverReceiptSigner(receipt, `${signature.slice(0, -2)}${signature.endsWith('1b') ? '00' : '01'}`), null)
  // s' = n - s flips to the high half: the same point, but malleable, so EIP-2 forbids it.
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
  const s = BigInt(`0x${signature.slice(66, 130)}`)
  const highS = `${signature.slice(0, 66)}${(n - s).toString(16).padStart(64, '0')}${signature.endsWith('1b') ? '1c' : '1b'}`
  assert.equal(recoverReceiptSigner(receipt, highS), null)
  assert.throws(() => receiptDigest({ ...receipt, inputHash: '0x12' as Hex }), /receipt.inputHash/)
})
