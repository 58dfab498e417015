/** Gas of every Verity operation on a local anvil (one run each; gas is deterministic). */
import { createTestClient, http, keccak256, parseEther, toHex, type Hex } from 'viem'
import { StubGroth16Verifier } from '@verity/contracts/testing'
import { generatePrivateKey, privateKeyToAddress, signReceipt, ZERO_HASH, type Mode, type Receipt } from '@verity/protocol'
import type { BenchContext } from '@verity/bench'
import {
  startAnvil, createVerityClient, createVerityWallet, deployVerity, registerNode, heartbeat, leaveNode, withdrawStake, allowMeasurement,
  grantRole, recordAttestation, revokeMeasurement,
  publishRelease, settleReceipt, settleZkReceipt, settleBatch, openEquivocationDispute, openQuorumDispute, claimRewards, zkProofHash,
  type Groth16Proof, type WriteResult,
} from '../src/index.ts'

export default async function operationsBench(ctx: BenchContext): Promise<void> {
  const anvil = await startAnvil()
  try {
    const keys = Array.from({ length: 7 }, () => generatePrivateKey())
    const testClient = createTestClient({ mode: 'anvil', transport: http(anvil.rpcUrl) })
    for (const key of keys) await testClient.setBalance({ address: privateKeyToAddress(key), value: parseEther('1000') })
    const deployment = await deployVerity(createVerityWallet({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId, account: keys[0]! }), { unbondingDelay: 86_400, challengeWindow: 3600 })
    const as = (i: number) => createVerityClient({ rpcUrl: anvil.rpcUrl, deployment, account: keys[i]!, pollingInterval: 5 })
    const rows: (string | number)[][] = []
    const record = async (name: string, op: Promise<WriteResult>) => { rows.push([name, Number((await op).gasUsed)]) }
    const now = async () => Number((await as(0).publicClient.getBlock({ blockTag: 'latest' })).timestamp)
    const receipt = async (i: number, over: Partial<Receipt>): Promise<{ receipt: Receipt; signature: Hex }> => {
      const r: Receipt = {
        requestId: keccak256(toHex('req')), modelDigest: keccak256(toHex('model')), inputHash: keccak256(toHex('in')), outputHash: keccak256(toHex('out')),
        mode: 'VANILLA' as Mode, proofHash: ZERO_HASH, node: privateKeyToAddress(keys[i]!), timestamp: await now(), chainId: anvil.chainId, ...over,
      }
      return { receipt: r, signature: signReceipt(r, keys[i]!) }
    }

    await record('registerNode (endpoint ~20 chars)', registerNode(as(1), { endpoint: 'https://n1.example', stake: parseEther('1') }))
    const m = keccak256(toHex('measurement'))
    await record('allowMeasurement', allowMeasurement(as(0), { measurement: m }))
    await record('registerNode with TEE measurement', registerNode(as(2), { endpoint: 'https://n2.example', stake: parseEther('1'), measurement: m }))
    await grantRole(as(0), { role: 'VERIFIER', account: privateKeyToAddress(keys[0]!) })
    const signer2 = privateKeyToAddress(keys[2]!)
    await record('recordAttestation (first verdict for a node)', recordAttestation(as(0), { signer: signer2, measurement: m, reportHash: keccak256(toHex('report 1')), valid: true }))
    await record('recordAttestation (re-attestation, new digest)', recordAttestation(as(0), { signer: signer2, measurement: m, reportHash: keccak256(toHex('report 2')), valid: true }))
    const m2 = keccak256(toHex('measurement 2'))
    await allowMeasurement(as(0), { measurement: m2 })
    await record('revokeMeasurement', revokeMeasurement(as(0), { measurement: m2 }))
    for (const i of [3, 4]) await registerNode(as(i), { endpoint: `https://n${i}.example`, stake: parseEther('1') })
    await record('heartbeat', heartbeat(as(1)))
    await record('publishRelease (new repository, 2 files)', publishRelease(as(5), { repository: 'bench/model', release: '1.00', files: [keccak256('0x01'), keccak256('0x02')] }))
    await record('settleReceipt', settleReceipt(as(6), await receipt(1, { requestId: keccak256(toHex('single')) })))
    await record('settleBatch', settleBatch(as(1), { root: keccak256(toHex('root')), count: 1000 }))

    const w = as(5).walletClient!
    const verifier = (await as(5).publicClient.waitForTransactionReceipt({ hash: await w.deployContract({ abi: StubGroth16Verifier.abi, bytecode: StubGroth16Verifier.bytecode }) })).contractAddress!
    const zkModel = keccak256(toHex('zk model'))
    await publishRelease(as(5), { repository: 'bench/zk', release: '1.00', files: [zkModel], vkHash: keccak256(toHex('vk')), verifier })
    const proof: Groth16Proof = { a: [6n, 0n], b: [[0n, 0n], [0n, 0n]], c: [0n, 0n], publicSignals: [1n, 2n, 3n] }
    await record('settleZkReceipt (stub verifier, 3 signals; a real Groth16 check adds ~200k)', settleZkReceipt(as(6), { ...(await receipt(1, { mode: 'ZKML', modelDigest: zkModel, proofHash: zkProofHash(proof) })), proof }))

    const q = (i: number, out: string) => receipt(i, { mode: 'QUORUM', requestId: keccak256(toHex('quorum')), outputHash: keccak256(toHex(out)) })
    await record('openQuorumDispute (2 majority receipts)', openQuorumDispute(as(6), { contested: await q(4, 'wrong'), majority: [await q(1, 'right'), await q(2, 'right')] }))
    await record('openEquivocationDispute', openEquivocationDispute(as(6), { a: await q(3, 'a'), b: await q(3, 'b') }))
    await record('claimRewards', claimRewards(as(6)))
    await record('leaveNode', leaveNode(as(1)))
    await testClient.increaseTime({ seconds: 86_401 })
    await testClient.mine({ blocks: 1 })
    await record('withdrawStake', withdrawStake(as(1)))
    ctx.printTable('Gas per operation (anvil, optimizer 200 runs, cancun)', ['operation', 'gas'], rows)
  } finally {
    await anvil.stop()
  }
}
