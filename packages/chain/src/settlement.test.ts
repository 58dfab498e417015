import { test, before, after, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { keccak256, parseEther, toHex, type Hex } from 'viem'
import { Settlement } from '@verity/contracts'
import { StubGroth16Verifier } from '@verity/contracts/testing'
import { cidForBytes, cidDigest, merkleLeaf, merkleRoot, receiptDigest, signReceipt, utf8, ZERO_HASH, type Receipt } from '@verity/protocol'
import {
  registerNode, leaveNode, settleReceipt, settleZkReceipt, verifyZkReceipt, checkReceipt, settleBatch, isReceiptSettled, getSettledReceipt, getBatch,
  publishRelease, zkProofHash, toContractReceipt, getSettledReceiptEvents, type Groth16Proof,
} from './index.ts'
import { createVerityClient, writeAction } from './client.ts'
import { startTestChain, rejectsWith, devKeys, type TestChain } from './_testChain.ts'

let chain: TestChain
let snap: Hex
before(async () => {
  chain = await startTestChain()
  // Nodes 1 and 2 are registered for every test; 7 never is.
  await registerNode(chain.as(1), { endpoint: 'https://n1.example', stake: parseEther('1') })
  await registerNode(chain.as(2), { endpoint: 'https://n2.example', stake: parseEther('1') })
})
after(async () => { await chain.stop() })
beforeEach(async () => { snap = await chain.snapshot() })
afterEach(async () => { await chain.revert(snap) })

const modelDigest = cidDigest(cidForBytes(utf8.encode('model')))
let counter = 0
async function receiptBy(i: number, over: Partial<Receipt> = {}): Promise<{ receipt: Receipt; signature: Hex }> {
  const receipt: Receipt = {
    requestId: keccak256(toHex(`request ${counter++}`)), modelDigest, inputHash: keccak256(toHex('in')), outputHash: keccak256(toHex('out')),
    mode: 'VANILLA', proofHash: ZERO_HASH, node: chain.address(i), timestamp: await chain.now(), chainId: 31337, ...over,
  }
  return { receipt, signature: signReceipt(receipt, devKeys[i]!) }
}

test('settle one receipt: anyone may submit it, it settles once, the digest is the protocol digest', async () => {
  const { receipt, signature } = await receiptBy(1)
  const submitter = chain.as(5)
  assert.equal(await checkReceipt(submitter, { receipt, signature }), receiptDigest(receipt))
  const { digest, gasUsed } = await settleReceipt(submitter, { receipt, signature })
  assert.equal(digest, receiptDigest(receipt))
  assert.ok(gasUsed > 21_000n)
  assert.equal(await isReceiptSettled(submitter, { digest }), true)
  assert.deepEqual(await getSettledReceipt(submitter, { digest }).then((s) => [s?.node, s?.zkVerified]), [chain.address(1), false])
  await rejectsWith(settleReceipt(submitter, { receipt, signature }), 'ALREADY_EXISTS', 'AlreadySettled')
  await rejectsWith(settleReceipt(chain.as(1), { receipt, signature }), 'ALREADY_EXISTS', 'AlreadySettled')
  const events = await getSettledReceiptEvents(submitter)
  assert.deepEqual(events.map((e) => e.digest), [digest])
  // Read one block per eth_getLogs call (as against an RPC that caps ranges): the same events.
  const narrow = createVerityClient({ rpcUrl: chain.anvil.rpcUrl, deployment: chain.deployment, logBlockRange: 1 })
  assert.ok((await narrow.publicClient.getBlockNumber()) > BigInt(chain.deployment.deployedAtBlock) + 2n, 'the events span several windows')
  assert.deepEqual(await getSettledReceiptEvents(narrow), events)
  assert.throws(() => createVerityClient({ rpcUrl: chain.anvil.rpcUrl, deployment: chain.deployment, logBlockRange: 0 }), /logBlockRange must be a positive integer/)
  assert.equal(await isReceiptSettled(submitter, { digest: keccak256('0x01') }), false)
})

test('wrong signer, tampering, unregistered signer, bad signatures, timestamps and cross-chain replay are refused', async () => {
  const c = chain.as(5)
  const good = await receiptBy(1)
  // Signed by node 2's key but claims node 1.
  const forged = { receipt: good.receipt, signature: signReceipt(good.receipt, devKeys[2]!) }
  await rejectsWith(settleReceipt(c, forged), 'VERIFICATION_FAILED', 'WrongSigner', new RegExp(`signed by ${chain.address(2)}, not by its node ${chain.address(1)}`))
  await rejectsWith(settleReceipt(c, { receipt: { ...good.receipt, outputHash: keccak256(toHex('tampered')) }, signature: good.signature }), 'VERIFICATION_FAILED', 'WrongSigner')
  await rejectsWith(settleReceipt(c, await receiptBy(7)), 'FORBIDDEN', 'SignerNotRegistered')
  await rejectsWith(settleReceipt(c, { receipt: good.receipt, signature: `0x${'00'.repeat(65)}` }), 'VERIFICATION_FAILED', 'BadSignature')
  await rejectsWith(settleReceipt(c, { receipt: good.receipt, signature: good.signature.slice(0, 100) as Hex }), 'VERIFICATION_FAILED', 'BadSignature')
  await rejectsWith(settleReceipt(c, await receiptBy(1, { timestamp: 1_000 })), 'FORBIDDEN', 'SignerNotRegistered', /1970/)
  await rejectsWith(settleReceipt(c, await receiptBy(1, { timestamp: (await chain.now()) + 3600 })), 'BAD_REQUEST', 'TimestampInFuture')
  // Replay on another chain: the client refuses, and the contract itself would recover another signer.
  const foreign = await receiptBy(1, { chainId: 1 })
  await rejectsWith(settleReceipt(c, foreign), 'VERIFICATION_FAILED')
  await rejectsWith(writeAction(c, 'settleReceipt', 'Settlement', (w) => w.writeContract({
    address: chain.deployment.settlement, abi: Settlement.abi, functionName: 'settleReceipt', args: [toContractReceipt(foreign.receipt), foreign.signature],
  })), 'VERIFICATION_FAILED', 'WrongSigner')
  assert.equal(await isReceiptSettled(c, { digest: receiptDigest(good.receipt) }), false)
})

test('after a node leaves, receipts signed before leaving settle and later ones do not', async () => {
  const before = await receiptBy(1)
  await chain.increaseTime(10)
  await leaveNode(chain.as(1))
  await chain.increaseTime(10)
  await settleReceipt(chain.as(5), before)
  await rejectsWith(settleReceipt(chain.as(5), await receiptBy(1)), 'FORBIDDEN', 'SignerNotRegistered')
  // A node that left cannot post batches any more.
  await rejectsWith(settleBatch(chain.as(1), { root: keccak256('0x03'), count: 1 }), 'FORBIDDEN', 'NotARegisteredNode')
})

test('batches: a registered node posts a root once; others cannot post', async () => {
  const digests = await Promise.all([1, 1, 1].map(async () => receiptDigest((await receiptBy(1)).receipt)))
  const root = merkleRoot(digests.map(merkleLeaf))
  await rejectsWith(settleBatch(chain.as(7), { root, count: 3 }), 'FORBIDDEN', 'NotARegisteredNode')
  await rejectsWith(settleBatch(chain.as(1), { root, count: 0 }), 'BAD_REQUEST')
  await settleBatch(chain.as(1), { root, count: 3 })
  assert.deepEqual(await getBatch(chain.as(5), { root }).then((b) => [b?.node, b?.count]), [chain.address(1), 3])
  await rejectsWith(settleBatch(chain.as(1), { root, count: 3 }), 'ALREADY_EXISTS', 'RootAlreadyPosted')
  await rejectsWith(settleBatch(chain.as(2), { root, count: 3 }), 'ALREADY_EXISTS', 'RootAlreadyPosted')
  assert.equal(await getBatch(chain.as(5), { root: keccak256('0x02') }), null)
})

test('ZK hook: a ZKML receipt settles when the release\'s Groth16 verifier accepts its proof', async () => {
  const owner = chain.as(3)
  const hash = await owner.walletClient!.deployContract({ abi: StubGroth16Verifier.abi, bytecode: StubGroth16Verifier.bytecode })
  const verifier = (await owner.publicClient.waitForTransactionReceipt({ hash })).contractAddress!
  const zkModel = cidForBytes(utf8.encode('zk model'))
  await publishRelease(owner, { repository: 'acme/zk', release: '1.00', files: [zkModel], vkHash: keccak256(toHex('vk')), verifier })
  const proof: Groth16Proof = { a: [60n, 1n], b: [[2n, 3n], [4n, 5n]], c: [6n, 7n], publicSignals: [10n, 20n, 30n] }
  assert.equal(zkProofHash(proof), await owner.publicClient.readContract({ address: chain.deployment.settlement, abi: Settlement.abi, functionName: 'zkProofHash', args: [proof] }))
  const zk = await receiptBy(1, { mode: 'ZKML', modelDigest: cidDigest(zkModel), proofHash: zkProofHash(proof) })
  assert.equal(await verifyZkReceipt(owner, { receipt: zk.receipt, proof }), true)

  const wrong: Groth16Proof = { ...proof, a: [61n, 1n] }
  const zkWrong = await receiptBy(1, { mode: 'ZKML', modelDigest: cidDigest(zkModel), proofHash: zkProofHash(wrong) })
  assert.equal(await verifyZkReceipt(owner, { receipt: zkWrong.receipt, proof: wrong }), false)
  await rejectsWith(settleZkReceipt(owner, { ...zkWrong, proof: wrong }), 'VERIFICATION_FAILED', 'ProofInvalid')
  // A proof with another number of public signals finds no matching verifyProof function.
  const fourSignals: Groth16Proof = { ...proof, a: [100n, 1n], publicSignals: [10n, 20n, 30n, 40n] }
  const zkFour = await receiptBy(1, { mode: 'ZKML', modelDigest: cidDigest(zkModel), proofHash: zkProofHash(fourSignals) })
  assert.equal(await verifyZkReceipt(owner, { receipt: zkFour.receipt, proof: fourSignals }), false)
  await rejectsWith(settleZkReceipt(owner, { ...zk, proof: wrong }), 'VERIFICATION_FAILED', 'ProofHashMismatch')
  const noVerifier = await receiptBy(1, { mode: 'ZKML', proofHash: zkProofHash(proof) })
  await rejectsWith(settleZkReceipt(owner, { ...noVerifier, proof }), 'NOT_FOUND', 'NoVerifier')
  const vanilla = await receiptBy(1, { modelDigest: cidDigest(zkModel) })
  await rejectsWith(settleZkReceipt(owner, { ...vanilla, proof }), 'BAD_REQUEST', 'NotZkml')

  const { digest } = await settleZkReceipt(owner, { ...zk, proof })
  assert.equal((await getSettledReceipt(owner, { digest }))?.zkVerified, true)
  await rejectsWith(settleZkReceipt(owner, { ...zk, proof }), 'ALREADY_EXISTS', 'AlreadySettled')
  await rejectsWith(settleReceipt(owner, zk), 'ALREADY_EXISTS', 'AlreadySettled')
})
