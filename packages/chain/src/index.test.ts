import { test } from 'node:test'
import assert from 'node:assert/strict'
import { encodeErrorResult, type Hex } from 'viem'
import { Disputes, ModelRegistry, NodeRegistry, Settlement } from '@verity/contracts'
import { isErrorCode } from '@verity/protocol'
import * as chain from './index.ts'

test('public API of @verity/chain (snapshot: changes here are API changes)', () => {
  assert.deepEqual(Object.keys(chain).sort(), [
    'addStake', 'allowMeasurement', 'anvilBinaryPath', 'checkReceipt', 'claimRewards', 'createRepository', 'createVerityClient', 'createVerityWallet',
    'decodeVerityRevert', 'defaultVerityParameters', 'deployVerity', 'freePort', 'getActiveNodes', 'getAttestation', 'getAttestationRecords', 'getBatch', 'getClaimable', 'getMeasurementStatus', 'getNode',
    'getRelease', 'getReleaseByDigest', 'getRepositoryOwner', 'getSettledReceipt', 'getSettledReceiptEvents', 'grantRole', 'heartbeat', 'isMeasurementAllowed',
    'isNodeActive', 'isReceiptSettled', 'leaveNode', 'listNodes', 'listReleases', 'loadDeployment', 'openEquivocationDispute', 'openQuorumDispute', 'publishRelease',
    'readLogsInWindows', 'recordAttestation', 'registerNode', 'revertMessages', 'revokeMeasurement', 'revokeRole', 'roleId', 'saveDeployment', 'setNodeEndpoint',
    'setRegistryParameters', 'settleBatch', 'settleReceipt', 'settleZkReceipt', 'startAnvil', 'toContractReceipt', 'toVerityError', 'transferRepository',
    'verifyInclusion', 'verifyZkReceipt', 'verityChain', 'wasActiveAt', 'withdrawStake', 'zkProofHash',
  ])
})

test('every custom error of every Verity contract has plain words and a catalogue code', () => {
  for (const contract of [NodeRegistry, ModelRegistry, Settlement, Disputes]) {
    for (const e of contract.abi) {
      if (e.type !== 'error') continue
      const entry = chain.revertMessages[e.name]
      assert.ok(entry !== undefined, `${contract.contractName}.${e.name} has no entry in revertMessages`)
      assert.ok(isErrorCode(entry.code))
      // Decoding real revert data yields the message with the arguments filled in.
      const args = e.inputs.map((i) => (i.type === 'address' ? '0x00000000000000000000000000000000000000aa' : i.type === 'string' ? 'acme/x' : i.type.startsWith('bytes') ? `0x${'ab'.repeat(32)}` : 7n))
      const data = encodeErrorResult({ abi: [e], errorName: e.name, args } as never) as Hex
      const decoded = chain.decodeVerityRevert(data)
      assert.equal(decoded?.name, e.name)
      assert.ok((decoded?.message.length ?? 0) > 10 && !decoded!.message.includes('undefined'), `${e.name}: ${decoded?.message}`)
    }
  }
})

test('revert messages read as plain words (snapshot)', () => {
  const render = (name: string, args: unknown[]) => chain.revertMessages[name]!.message(args)
  assert.equal(render('InsufficientStake', [5n * 10n ** 17n, 10n ** 18n]), 'Stake of 0.5 ETH is below the minimum of 1 ETH')
  assert.equal(render('StillUnbonding', ['0xabc', 1767225600n]), 'Stake of node 0xabc is unbonding until 2026-01-01T00:00:00.000Z')
  assert.equal(render('ReleaseExists', ['acme/m', '1.00']), 'Release acme/m@1.00 is already published and cannot change')
  assert.equal(render('QuorumTooSmall', [1n, 2n]), 'A quorum dispute needs 2 agreeing receipts, got 1')
})

test('an unreachable RPC gives CHAIN_UNAVAILABLE; a transaction without an account gives BAD_REQUEST', async () => {
  const { VerityError } = await import('@verity/protocol')
  const port = await chain.freePort()
  const deployment = { chainId: 31337, nodeRegistry: `0x${'11'.repeat(20)}`, modelRegistry: `0x${'22'.repeat(20)}`, settlement: `0x${'33'.repeat(20)}`, disputes: `0x${'44'.repeat(20)}`, admin: `0x${'55'.repeat(20)}`, deployedAtBlock: 0, parameters: { ...chain.defaultVerityParameters, minStake: '1' } } as const
  const client = chain.createVerityClient({ rpcUrl: `http://127.0.0.1:${port}`, deployment })
  await assert.rejects(chain.getNode(client, { signer: `0x${'66'.repeat(20)}` }), (e: unknown) => e instanceof VerityError && e.code === 'CHAIN_UNAVAILABLE' && /did not answer/.test(e.message))
  await assert.rejects(chain.heartbeat(client, { signer: `0x${'66'.repeat(20)}` }), (e: unknown) => e instanceof VerityError && e.code === 'BAD_REQUEST' && /has no account/.test(e.message))
})
