import { test, before, after, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFunctionData, keccak256, parseEther, toHex, type Hex } from 'viem'
import { Disputes, NodeRegistry } from '@verity/contracts'
import { ReentrantOperator } from '@verity/contracts/testing'
import { signReceipt, ZERO_HASH, type Receipt } from '@verity/protocol'
import {
  registerNode, leaveNode, withdrawStake, getNode, isNodeActive, settleReceipt, openEquivocationDispute, openQuorumDispute, claimRewards,
  getClaimable, toContractReceipt, type SignedReceipt,
} from './index.ts'
import { startTestChain, rejectsWith, devKeys, type TestChain } from './_testChain.ts'

const WINDOW = 3600
const STAKE = parseEther('2')
let chain: TestChain
let snap: Hex
before(async () => {
  chain = await startTestChain({ challengeWindow: WINDOW, unbondingDelay: 2 * WINDOW, quorumThreshold: 2, challengerRewardBps: 2500 })
  for (const i of [1, 2, 3, 4]) await registerNode(chain.as(i), { endpoint: `https://n${i}.example`, stake: STAKE })
})
after(async () => { await chain.stop() })
beforeEach(async () => { snap = await chain.snapshot() })
afterEach(async () => { await chain.revert(snap) })

const requestId = keccak256(toHex('request 1'))
const modelDigest = keccak256(toHex('model'))
const inputHash = keccak256(toHex('input'))
const out = (s: string) => keccak256(toHex(s))

async function quorumReceipt(i: number, output: Hex, over: Partial<Receipt> = {}): Promise<SignedReceipt> {
  const receipt: Receipt = { requestId, modelDigest, inputHash, outputHash: output, mode: 'QUORUM', proofHash: ZERO_HASH, node: chain.address(i), timestamp: await chain.now(), chainId: 31337, ...over }
  return { receipt, signature: signReceipt(receipt, devKeys[i]!) }
}

test('equivocation: one node signing two outputs for one request is slashed; the challenger earns its share, the rest burns', async () => {
  const a = await quorumReceipt(1, out('yes'))
  const b = await quorumReceipt(1, out('no'))
  const challenger = chain.as(5)
  const registryBefore = await challenger.publicClient.getBalance({ address: chain.deployment.nodeRegistry })
  await openEquivocationDispute(challenger, { a, b })
  const node = await getNode(challenger, { signer: chain.address(1) })
  assert.ok((node?.slashedAt ?? 0) > 0)
  assert.equal(node?.stake, 0n)
  assert.equal(await isNodeActive(challenger, { signer: chain.address(1) }), false)
  assert.equal(await getClaimable(challenger, { account: chain.address(5) }), STAKE / 4n)
  const burned = await challenger.publicClient.readContract({ address: chain.deployment.nodeRegistry, abi: NodeRegistry.abi, functionName: 'totalBurned' })
  assert.equal(burned, STAKE - STAKE / 4n)
  const before = await challenger.publicClient.getBalance({ address: chain.address(5) })
  const { gasUsed, receipt } = await claimRewards(challenger)
  assert.equal(await challenger.publicClient.getBalance({ address: chain.address(5) }) - before, STAKE / 4n - gasUsed * receipt.effectiveGasPrice)
  assert.equal(registryBefore - (await challenger.publicClient.getBalance({ address: chain.deployment.nodeRegistry })), STAKE / 4n)
  await rejectsWith(claimRewards(challenger), 'CHAIN_REVERTED', 'NothingToClaim')
  // Slashed once only (the nested NodeRegistry error is decoded through Disputes).
  await rejectsWith(openEquivocationDispute(chain.as(6), { a, b }), 'CHAIN_REVERTED', 'NodeIsSlashed')
  // Its receipts, older ones included, no longer settle.
  await rejectsWith(settleReceipt(challenger, a), 'FORBIDDEN', 'SignerNotRegistered')
})

test('equivocation disputes that prove nothing are refused', async () => {
  const c = chain.as(5)
  const a = await quorumReceipt(1, out('yes'))
  await rejectsWith(openEquivocationDispute(c, { a, b: await quorumReceipt(1, out('yes')) }), 'BAD_REQUEST', 'SameOutput')
  await rejectsWith(openEquivocationDispute(c, { a, b: await quorumReceipt(2, out('no')) }), 'BAD_REQUEST', 'DifferentSigners')
  await rejectsWith(openEquivocationDispute(c, { a, b: await quorumReceipt(1, out('no'), { requestId: out('other request') }) }), 'BAD_REQUEST', 'NotSameRequest')
  await rejectsWith(openEquivocationDispute(c, { a, b: await quorumReceipt(1, out('no'), { inputHash: out('other input') }) }), 'BAD_REQUEST', 'NotSameRequest')
  await rejectsWith(openEquivocationDispute(c, { a, b: await quorumReceipt(1, out('no'), { mode: 'VANILLA' }) }), 'BAD_REQUEST', 'NotQuorumMode')
  const forged = await quorumReceipt(1, out('no'))
  await rejectsWith(openEquivocationDispute(c, { a, b: { ...forged, signature: signReceipt(forged.receipt, devKeys[2]!) } }), 'VERIFICATION_FAILED', 'WrongSigner')
  await rejectsWith(openEquivocationDispute(c, { a: await quorumReceipt(7, out('yes')), b: await quorumReceipt(7, out('no')) }), 'FORBIDDEN', 'NotRegistered')
  const b = await quorumReceipt(1, out('no'))
  await chain.increaseTime(WINDOW + 1)
  await rejectsWith(openEquivocationDispute(c, { a, b }), 'CHAIN_REVERTED', 'ChallengeWindowClosed')
  assert.equal((await getNode(c, { signer: chain.address(1) }))?.slashedAt, 0)
})

test('quorum: a receipt contradicted by a quorum of other nodes gets its signer slashed', async () => {
  const contested = await quorumReceipt(4, out('wrong'))
  const majority = [await quorumReceipt(1, out('right')), await quorumReceipt(2, out('right'))]
  await openQuorumDispute(chain.as(5), { contested, majority })
  assert.ok(((await getNode(chain.as(5), { signer: chain.address(4) }))?.slashedAt ?? 0) > 0)
  for (const i of [1, 2, 3]) assert.equal(await isNodeActive(chain.as(5), { signer: chain.address(i) }), true)
  assert.equal(await getClaimable(chain.as(5), { account: chain.address(5) }), STAKE / 4n)
})

test('quorum disputes without a real quorum are refused', async () => {
  const c = chain.as(5)
  const contested = await quorumReceipt(4, out('wrong'))
  const r1 = await quorumReceipt(1, out('right'))
  const r2 = await quorumReceipt(2, out('right'))
  await rejectsWith(openQuorumDispute(c, { contested, majority: [r1] }), 'BAD_REQUEST', 'QuorumTooSmall', /needs 2 agreeing receipts, got 1/)
  await rejectsWith(openQuorumDispute(c, { contested, majority: [r1, r1] }), 'BAD_REQUEST', 'DuplicateSigner')
  await rejectsWith(openQuorumDispute(c, { contested, majority: [r1, await quorumReceipt(4, out('right'))] }), 'BAD_REQUEST', 'DuplicateSigner')
  await rejectsWith(openQuorumDispute(c, { contested, majority: [r1, await quorumReceipt(2, out('other'))] }), 'BAD_REQUEST', 'MajorityDisagrees')
  await rejectsWith(openQuorumDispute(c, { contested, majority: [r1, await quorumReceipt(7, out('right'))] }), 'FORBIDDEN', 'NotRegistered')
  await rejectsWith(openQuorumDispute(c, { contested, majority: [r1, await quorumReceipt(3, out('right'), { timestamp: 1000 })] }), 'FORBIDDEN', 'NotRegistered')
  await rejectsWith(openQuorumDispute(c, { contested: await quorumReceipt(4, out('right')), majority: [r1, r2] }), 'BAD_REQUEST', 'SameOutput')
  await rejectsWith(openQuorumDispute(c, { contested, majority: [r1, await quorumReceipt(2, out('right'), { modelDigest: out('other model') })] }), 'BAD_REQUEST', 'NotSameRequest')
  // A slashed node's vote no longer counts.
  await openEquivocationDispute(c, { a: await quorumReceipt(2, out('x')), b: await quorumReceipt(2, out('y')) })
  await rejectsWith(openQuorumDispute(c, { contested, majority: [r1, r2] }), 'FORBIDDEN', 'NotRegistered')
  await chain.increaseTime(WINDOW + 1)
  await rejectsWith(openQuorumDispute(c, { contested, majority: [r1, await quorumReceipt(3, out('right'))] }), 'CHAIN_REVERTED', 'ChallengeWindowClosed')
})

test('a node cannot escape a dispute by leaving: its unbonding stake is slashed and cannot be withdrawn', async () => {
  const a = await quorumReceipt(1, out('yes'))
  const b = await quorumReceipt(1, out('no'))
  await leaveNode(chain.as(1))
  await chain.increaseTime(WINDOW - 10)
  await openEquivocationDispute(chain.as(5), { a, b })
  await chain.increaseTime(2 * WINDOW)
  await rejectsWith(withdrawStake(chain.as(1)), 'CHAIN_REVERTED', 'NodeIsSlashed')
})

test('reentrancy: a malicious challenger re-entering claim() from receive() is paid once', async () => {
  const owner = chain.as(6)
  const wallet = owner.walletClient!
  const pc = owner.publicClient
  const hash = await wallet.deployContract({ abi: ReentrantOperator.abi, bytecode: ReentrantOperator.bytecode, args: [chain.deployment.nodeRegistry] })
  const attacker = (await pc.waitForTransactionReceipt({ hash })).contractAddress!
  const a = await quorumReceipt(1, out('yes'))
  const b = await quorumReceipt(1, out('no'))
  const data = encodeFunctionData({ abi: Disputes.abi, functionName: 'disputeEquivocation', args: [toContractReceipt(a.receipt), a.signature, toContractReceipt(b.receipt), b.signature] })
  await pc.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: attacker, abi: ReentrantOperator.abi, functionName: 'forward', args: [chain.deployment.disputes, data] }) })
  // Someone else's reward sits in the registry too.
  await openEquivocationDispute(chain.as(5), { a: await quorumReceipt(2, out('yes')), b: await quorumReceipt(2, out('no')) })
  assert.equal(await getClaimable(owner, { account: attacker }), STAKE / 4n)
  const registryBefore = await pc.getBalance({ address: chain.deployment.nodeRegistry })
  await pc.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: attacker, abi: ReentrantOperator.abi, functionName: 'claim' }) })
  assert.equal(await pc.readContract({ address: attacker, abi: ReentrantOperator.abi, functionName: 'reentryAttempts' }), 1n)
  assert.equal(await pc.readContract({ address: attacker, abi: ReentrantOperator.abi, functionName: 'reentrySucceeded' }), false)
  assert.equal(await pc.getBalance({ address: attacker }), STAKE / 4n)
  assert.equal(registryBefore - (await pc.getBalance({ address: chain.deployment.nodeRegistry })), STAKE / 4n)
  assert.equal(await getClaimable(owner, { account: chain.address(5) }), STAKE / 4n)
})
