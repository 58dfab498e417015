import { test, before, after, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { keccak256, parseEther, toHex, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { NodeRegistry } from '@verity/contracts'
import { ReentrantOperator } from '@verity/contracts/testing'
import {
  registerNode, heartbeat, leaveNode, withdrawStake, getNode, getActiveNodes, isNodeActive, wasActiveAt, allowMeasurement, revokeMeasurement,
  isMeasurementAllowed, recordAttestation, getAttestation, grantRole, addStake, setNodeEndpoint, setRegistryParameters,
  listNodes, getMeasurementStatus, getAttestationRecords,
} from './index.ts'
import { writeAction } from './client.ts'
import { startTestChain, rejectsWith, devKeys, type TestChain } from './_testChain.ts'

let chain: TestChain
let snap: Hex
const HEARTBEAT = 600
const UNBONDING = 3 * 24 * 3600
before(async () => { chain = await startTestChain({ heartbeatWindow: HEARTBEAT, unbondingDelay: UNBONDING, challengeWindow: 3600 }) })
after(async () => { await chain.stop() })
beforeEach(async () => { snap = await chain.snapshot() })
afterEach(async () => { await chain.revert(snap) })

const ONE = parseEther('1')

test('register: node is listed active with endpoint, stake and history; bad registrations fail with plain reasons', async () => {
  const node = chain.as(1)
  const { signer } = await registerNode(node, { endpoint: 'https://n1.example', stake: ONE })
  const info = await getNode(node, { signer })
  assert.equal(info?.operator, chain.address(1))
  assert.equal(info?.stake, ONE)
  assert.equal(info?.active, true)
  assert.deepEqual((await getActiveNodes(node)).map((n) => [n.signer, n.endpoint]), [[signer, 'https://n1.example']])
  assert.equal(await getNode(node, { signer: chain.address(9) }), null)
  await rejectsWith(registerNode(chain.as(2), { endpoint: 'https://n2.example', stake: parseEther('0.5') }), 'CHAIN_REVERTED', 'InsufficientStake', /0\.5 ETH is below the minimum of 1 ETH/)
  await rejectsWith(registerNode(node, { endpoint: 'https://again.example', stake: ONE }), 'ALREADY_EXISTS', 'SignerAlreadyUsed')
  await rejectsWith(registerNode(chain.as(2), { endpoint: '', stake: ONE }), 'BAD_REQUEST', 'EmptyEndpoint')
  await setNodeEndpoint(node, { endpoint: 'https://n1-new.example' })
  await addStake(node, { amount: ONE })
  const updated = await getNode(node, { signer })
  assert.equal(updated?.endpoint, 'https://n1-new.example')
  assert.equal(updated?.stake, 2n * ONE)
  await rejectsWith(setNodeEndpoint(chain.as(2), { signer, endpoint: 'https://evil.example' }), 'FORBIDDEN', 'NotOperator')
})

test('a separate signing key must consent; a wrong consent or none is refused', async () => {
  const operator = chain.as(1)
  const signerAccount = privateKeyToAccount(devKeys[5]!)
  await rejectsWith(registerNode(operator, { endpoint: 'https://n.example', stake: ONE, signer: signerAccount.address }), 'BAD_REQUEST')
  await rejectsWith(registerNode(operator, { endpoint: 'https://n.example', stake: ONE, signer: signerAccount.address, signerConsent: await privateKeyToAccount(devKeys[6]!).signMessage({ message: 'x' }) }), 'FORBIDDEN', 'SignerConsentInvalid')
  const { signer } = await registerNode(operator, { endpoint: 'https://n.example', stake: ONE, signerAccount })
  assert.equal(signer, signerAccount.address)
  assert.equal((await getNode(operator, { signer }))?.operator, chain.address(1))
  // The signer itself may heartbeat; a stranger may not.
  await heartbeat(chain.as(5), { signer })
  await rejectsWith(heartbeat(chain.as(7), { signer }), 'FORBIDDEN', 'NotOperator')
})

test('heartbeat: a node goes inactive when its heartbeat is older than the window and back with a new one', async () => {
  const node = chain.as(1)
  const { signer } = await registerNode(node, { endpoint: 'https://n1.example', stake: ONE })
  await chain.increaseTime(HEARTBEAT - 5)
  assert.equal(await isNodeActive(node, { signer }), true)
  await chain.increaseTime(10)
  assert.equal(await isNodeActive(node, { signer }), false)
  assert.deepEqual(await getActiveNodes(node), [])
  // Heartbeat freshness is not history: the node was still registered in good standing.
  assert.equal(await wasActiveAt(node, { signer, timestamp: await chain.now() }), true)
  await heartbeat(node)
  assert.equal(await isNodeActive(node, { signer }), true)
  // Governance raising the minimum stake deactivates under-staked nodes.
  await setRegistryParameters(chain.as(0), { minStake: 2n * ONE, heartbeatWindow: HEARTBEAT })
  assert.equal(await isNodeActive(node, { signer }), false)
  await rejectsWith(setRegistryParameters(node, { minStake: 0n, heartbeatWindow: HEARTBEAT }), 'FORBIDDEN', 'AccessControlUnauthorizedAccount', /lacks the role GOVERNANCE_ROLE/)
})

test('leave, unbonding, withdraw: timing enforced, history kept, stake paid once, signer never reused', async () => {
  const node = chain.as(1)
  const { signer } = await registerNode(node, { endpoint: 'https://n1.example', stake: ONE })
  const registeredAt = (await getNode(node, { signer }))!.registeredAt
  await rejectsWith(withdrawStake(node), 'CHAIN_REVERTED', 'NodeNotLeaving')
  await chain.increaseTime(100)
  await rejectsWith(leaveNode(chain.as(2), { signer }), 'FORBIDDEN', 'NotOperator')
  const { withdrawableAt } = await leaveNode(node)
  const leftAt = (await getNode(node, { signer }))!.leftAt
  assert.equal(withdrawableAt, leftAt + UNBONDING)
  assert.equal(await isNodeActive(node, { signer }), false)
  assert.equal(await wasActiveAt(node, { signer, timestamp: registeredAt - 1 }), false)
  assert.equal(await wasActiveAt(node, { signer, timestamp: registeredAt }), true)
  assert.equal(await wasActiveAt(node, { signer, timestamp: leftAt - 1 }), true)
  assert.equal(await wasActiveAt(node, { signer, timestamp: leftAt }), false)
  await rejectsWith(heartbeat(node), 'CHAIN_REVERTED', 'NodeHasLeft')
  await rejectsWith(withdrawStake(node), 'CHAIN_REVERTED', 'StillUnbonding', /unbonding until/)
  await chain.increaseTime(UNBONDING - 200)
  await rejectsWith(withdrawStake(node), 'CHAIN_REVERTED', 'StillUnbonding')
  await chain.increaseTime(200)
  await rejectsWith(withdrawStake(chain.as(2), { signer }), 'FORBIDDEN', 'NotOperator')
  const before = await node.publicClient.getBalance({ address: signer })
  const { gasUsed, receipt } = await withdrawStake(node)
  const afterBalance = await node.publicClient.getBalance({ address: signer })
  assert.equal(afterBalance - before, ONE - gasUsed * receipt.effectiveGasPrice)
  await rejectsWith(withdrawStake(node), 'CHAIN_REVERTED', 'NothingToWithdraw')
  await rejectsWith(registerNode(node, { endpoint: 'https://n1.example', stake: ONE }), 'ALREADY_EXISTS', 'SignerAlreadyUsed')
})

test('slashing is only possible through Disputes, which is bound once', async () => {
  const admin = chain.as(0)
  const { signer } = await registerNode(chain.as(1), { endpoint: 'https://n1.example', stake: ONE })
  await rejectsWith(writeAction(admin, 'slash', 'NodeRegistry', (w) => w.writeContract({
    address: chain.deployment.nodeRegistry, abi: NodeRegistry.abi, functionName: 'slash', args: [signer, chain.address(0), keccak256(toHex('x'))],
  })), 'FORBIDDEN', 'NotDisputes')
  await rejectsWith(writeAction(admin, 'bindDisputes', 'NodeRegistry', (w) => w.writeContract({
    address: chain.deployment.nodeRegistry, abi: NodeRegistry.abi, functionName: 'bindDisputes', args: [chain.address(0)],
  })), 'ALREADY_EXISTS', 'DisputesAlreadyBound')
})

test('TEE measurements: allow-listed by governance, attestation posted by a verifier, revocation deactivates at once and for good', async () => {
  const gov = chain.as(0)
  const node = chain.as(1)
  const m = keccak256(toHex('sev-snp measurement v1'))
  await rejectsWith(registerNode(node, { endpoint: 'https://tee.example', stake: ONE, measurement: m }), 'FORBIDDEN', 'MeasurementNotAllowed')
  await rejectsWith(allowMeasurement(node, { measurement: m }), 'FORBIDDEN', 'AccessControlUnauthorizedAccount')
  await allowMeasurement(gov, { measurement: m })
  assert.equal(await isMeasurementAllowed(gov, { measurement: m }), true)
  const { signer } = await registerNode(node, { endpoint: 'https://tee.example', stake: ONE, measurement: m })
  const plain = await registerNode(chain.as(2), { endpoint: 'https://plain.example', stake: ONE })
  assert.equal((await getNode(node, { signer }))?.measurement, m)

  const report = keccak256(toHex('attestation report'))
  await rejectsWith(recordAttestation(chain.as(3), { signer, measurement: m, reportHash: report, valid: true }), 'FORBIDDEN', 'AccessControlUnauthorizedAccount', /VERIFIER_ROLE/)
  await grantRole(gov, { role: 'VERIFIER', account: chain.address(3) })
  await recordAttestation(chain.as(3), { signer, measurement: m, reportHash: report, valid: true })
  assert.equal((await getAttestation(node, { signer })).attested, true)
  // A re-attestation replaces the latest verdict; the history keeps every one, oldest first.
  const report2 = keccak256(toHex('attestation report 2'))
  await recordAttestation(chain.as(3), { signer, measurement: m, reportHash: report2, valid: true })
  assert.equal((await getAttestation(node, { signer })).reportHash, report2)
  assert.deepEqual((await getAttestationRecords(node, { signer })).map((r) => [r.reportHash, r.valid, r.measurement]), [[report, true, m], [report2, true, m]])
  assert.deepEqual(await getAttestationRecords(node, { signer: plain.signer }), [])
  const allowed = await getMeasurementStatus(node, { measurement: m })
  assert.equal(allowed.allowed, true)
  assert.ok(allowed.allowedAt > 0)
  assert.equal(allowed.revokedAt, 0)

  await chain.increaseTime(10)
  const beforeRevoke = await chain.now()
  await revokeMeasurement(gov, { measurement: m })
  assert.equal(await isNodeActive(node, { signer }), false)
  assert.equal(await isNodeActive(node, { signer: plain.signer }), true)
  assert.deepEqual((await getActiveNodes(node)).map((n) => n.signer), [plain.signer])
  assert.equal((await getAttestation(node, { signer })).attested, false)
  assert.equal(await wasActiveAt(node, { signer, timestamp: beforeRevoke - 1 }), true)
  assert.equal(await wasActiveAt(node, { signer, timestamp: await chain.now() }), false)
  const revoked = await getMeasurementStatus(node, { measurement: m })
  assert.equal(revoked.allowed, false)
  assert.ok(revoked.revokedAt >= beforeRevoke)
  // Listing shows every registration, inactive ones included.
  assert.deepEqual((await listNodes(node)).map((n) => [n.signer, n.active]), [[signer, false], [plain.signer, true]])
  await rejectsWith(allowMeasurement(gov, { measurement: m }), 'FORBIDDEN', 'MeasurementNotAllowed')
  await rejectsWith(registerNode(chain.as(4), { endpoint: 'https://tee2.example', stake: ONE, measurement: m }), 'FORBIDDEN', 'MeasurementNotAllowed')
})

test('reentrancy: a malicious operator re-entering withdrawStake from receive() gets its stake once', async () => {
  const attackerClient = chain.as(4)
  const wallet = attackerClient.walletClient!
  const pc = attackerClient.publicClient
  const hash = await wallet.deployContract({ abi: ReentrantOperator.abi, bytecode: ReentrantOperator.bytecode, args: [chain.deployment.nodeRegistry] })
  const attacker = (await pc.waitForTransactionReceipt({ hash })).contractAddress!
  const call = async (functionName: 'register' | 'leave' | 'withdraw', args: readonly unknown[] = [], value?: bigint) => {
    await pc.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: attacker, abi: ReentrantOperator.abi, functionName, args, value } as never) })
  }
  // Another node's stake sits in the registry too: the prize a re-entrant withdraw would steal.
  await registerNode(chain.as(1), { endpoint: 'https://victim.example', stake: ONE })
  await call('register', ['https://attacker.example'], ONE)
  await call('leave')
  await chain.increaseTime(UNBONDING + 1)
  const registryBefore = await pc.getBalance({ address: chain.deployment.nodeRegistry })
  await call('withdraw')
  const read = (functionName: 'reentryAttempts' | 'reentrySucceeded') => pc.readContract({ address: attacker, abi: ReentrantOperator.abi, functionName })
  assert.equal(await read('reentryAttempts'), 1n)
  assert.equal(await read('reentrySucceeded'), false)
  assert.equal(await pc.getBalance({ address: attacker }), ONE)
  assert.equal(registryBefore - (await pc.getBalance({ address: chain.deployment.nodeRegistry })), ONE)
})
