/**
 * The contracts and @verity/protocol must compute the same EIP-712 digests, signers and Merkle leaves
 * and roots: frozen protocol vectors on anvil (one chain per vector chain id), plus random trees.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parseEther, type Hex } from 'viem'
import { Settlement } from '@verity/contracts'
import {
  domainSeparator, merkleLeaf, merkleProof, merkleRoot, receiptDigest, receiptTypeHash, recoverReceiptSigner, signReceipt, type Receipt,
} from '@verity/protocol'
import { registerNode, settleBatch, verifyInclusion, toContractReceipt, type VerityClient } from './index.ts'
import { startTestChain, devKeys, type TestChain } from './_testChain.ts'

const ZERO: Hex = `0x${'00'.repeat(32)}`
const vectorsPath = new URL('../vectors/receipts.json', import.meta.resolve('@verity/protocol'))
const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8')) as { privateKey: Hex; address: string; cases: Array<{ receipt: Receipt; digest: Hex; signature: Hex }> }

const chains = new Map<number, TestChain>()
before(async () => {
  for (const chainId of [...new Set(vectors.cases.map((c) => c.receipt.chainId))]) chains.set(chainId, await startTestChain({ chainId }))
})
after(async () => { for (const c of chains.values()) await c.stop() })

const read = (client: VerityClient) => <F extends 'receiptDigest' | 'recoverReceiptSigner' | 'domainSeparator' | 'receiptTypeHash' | 'merkleLeaf'>(functionName: F, args: readonly unknown[]) =>
  client.publicClient.readContract({ address: client.deployment.settlement, abi: Settlement.abi, functionName, args } as never) as Promise<Hex>

test('protocol receipt vectors: contract digest, domain separator and recovered signer equal protocol (chains 31337, 1, 8453)', async () => {
  assert.ok(vectors.cases.some((c) => c.receipt.chainId === 31337))
  for (const { receipt, digest, signature } of vectors.cases) {
    const call = read(chains.get(receipt.chainId)!.as(0))
    assert.equal(await call('receiptDigest', [toContractReceipt(receipt)]), digest, `digest of ${receipt.mode} on ${receipt.chainId}`)
    assert.equal(receiptDigest(receipt), digest)
    assert.equal(await call('domainSeparator', []), domainSeparator(receipt.chainId))
    assert.equal(await call('receiptTypeHash', []), receiptTypeHash())
    assert.equal(await call('recoverReceiptSigner', [toContractReceipt(receipt), signature]), vectors.address)
  }
})

test('cross-chain replay: a receipt signed for chain 1 recovers to another address on chain 31337', async () => {
  const c1 = vectors.cases.find((c) => c.receipt.chainId === 1)!
  const call = read(chains.get(31337)!.as(0))
  const recovered = await call('recoverReceiptSigner', [toContractReceipt(c1.receipt), c1.signature])
  assert.notEqual(recovered.toLowerCase(), vectors.address.toLowerCase())
})

test('signature edge cases: contract and protocol both reject high-s; contract rejects v outside 27/28 and wrong lengths', async () => {
  const { receipt, signature } = vectors.cases[0]!
  const call = read(chains.get(31337)!.as(0))
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
  const s = BigInt(`0x${signature.slice(66, 130)}`)
  const v = parseInt(signature.slice(130), 16)
  const highS = `${signature.slice(0, 66)}${(n - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}` as Hex
  assert.equal(recoverReceiptSigner(receipt, highS), null)
  assert.equal(await call('recoverReceiptSigner', [toContractReceipt(receipt), highS]), '0x0000000000000000000000000000000000000000')
  const vZero = `${signature.slice(0, 130)}${(v - 27).toString(16).padStart(2, '0')}` as Hex
  assert.equal(await call('recoverReceiptSigner', [toContractReceipt(receipt), vZero]), '0x0000000000000000000000000000000000000000')
  assert.equal(await call('recoverReceiptSigner', [toContractReceipt(receipt), signature.slice(0, 128) as Hex]), '0x0000000000000000000000000000000000000000')
})

test('fresh receipts signed by protocol recover on chain to the signer', async () => {
  const call = read(chains.get(31337)!.as(0))
  for (let i = 0; i < 5; i++) {
    const receipt: Receipt = { ...vectors.cases[0]!.receipt, requestId: `0x${String(i).repeat(64)}` as Hex, node: chains.get(31337)!.address(i), timestamp: 1_700_000_000 + i }
    const signature = signReceipt(receipt, devKeys[i]!)
    assert.equal(await call('recoverReceiptSigner', [toContractReceipt(receipt), signature]), receipt.node)
  }
})

test('random receipts (all modes, random fields and keys): contract digest and signer equal protocol', async () => {
  const { generatePrivateKey, privateKeyToAddress, modes } = await import('@verity/protocol')
  const call = read(chains.get(31337)!.as(0))
  const { randomBytes } = await import('node:crypto')
  const b32 = (): Hex => `0x${randomBytes(32).toString('hex')}`
  for (let i = 0; i < 24; i++) {
    const key = generatePrivateKey()
    const receipt: Receipt = {
      requestId: b32(), modelDigest: b32(), inputHash: b32(), outputHash: b32(), mode: modes[i % 4]!, proofHash: i % 3 === 0 ? ZERO : b32(),
      node: privateKeyToAddress(key), timestamp: i === 0 ? 2 ** 53 - 1 : randomBytes(4).readUInt32BE(), chainId: 31337,
    }
    const signature = signReceipt(receipt, key)
    assert.equal(await call('receiptDigest', [toContractReceipt(receipt)]), receiptDigest(receipt))
    assert.equal(await call('recoverReceiptSigner', [toContractReceipt(receipt), signature]), receipt.node)
  }
})

test('Merkle: contract leaf equals protocol leaf; protocol proofs verify on chain for trees of 1..9 and 33 leaves; bad proofs fail', async () => {
  const chain = chains.get(31337)!
  const node = chain.as(3)
  await registerNode(node, { endpoint: 'https://merkle.example', stake: parseEther('1') })
  const call = read(node)
  let seed = 1
  const randomDigest = (): Hex => `0x${Array.from({ length: 32 }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff).toString(16).padStart(2, '0')).join('')}`
  for (const size of [1, 2, 3, 4, 5, 6, 7, 8, 9, 33]) {
    const digests = Array.from({ length: size }, randomDigest)
    const leaves = digests.map(merkleLeaf)
    assert.equal(await call('merkleLeaf', [digests[0]]), leaves[0])
    const root = merkleRoot(leaves)
    assert.equal(await verifyInclusion(node, { digest: digests[0]!, proof: merkleProof(leaves, 0), root }), false, 'root not posted yet')
    await settleBatch(node, { root, count: size })
    for (const i of size > 9 ? [0, 16, 31, 32] : digests.keys()) {
      assert.equal(await verifyInclusion(node, { digest: digests[i]!, proof: merkleProof(leaves, i), root }), true, `leaf ${i} of ${size}`)
    }
    if (size > 1) {
      assert.equal(await verifyInclusion(node, { digest: digests[0]!, proof: merkleProof(leaves, 1), root }), false, 'proof of another leaf')
      assert.equal(await verifyInclusion(node, { digest: randomDigest(), proof: merkleProof(leaves, 0), root }), false, 'digest not in tree')
      assert.equal(await verifyInclusion(node, { digest: digests[0]!, proof: merkleProof(leaves, 0).slice(1), root }), false, 'truncated proof')
    }
    // The leaf itself (not its digest) must not verify: leaves are double-hashed.
    if (size > 1) assert.equal(await verifyInclusion(node, { digest: leaves[0]!, proof: merkleProof(leaves, 0), root }), false)
  }
})
