/**
 * Settlement cost and speed on a local anvil: gas per receipt settled alone vs as a Merkle batch of 100
 * and 1,000 (amortized), Merkle root time, and receipts settled per second end to end.
 */
import { performance } from 'node:perf_hooks'
import { createTestClient, encodeFunctionData, http, keccak256, parseEther, toHex, type Hex } from 'viem'
import { Settlement } from '@verity/contracts'
import { generatePrivateKey, merkleLeaf, merkleProof, merkleRoot, privateKeyToAddress, receiptDigest, signReceipt, ZERO_HASH, type Receipt } from '@verity/protocol'
import { load, sample, summarize, type BenchContext } from '@verity/bench'
import { startAnvil, createVerityClient, createVerityWallet, deployVerity, registerNode, settleReceipt, settleBatch, verifyInclusion } from '../src/index.ts'

export default async function settlementBench(ctx: BenchContext): Promise<void> {
  const anvil = await startAnvil({ dataDir: ctx.tmpDir })
  try {
    // Fresh keys funded through anvil_setBalance: no well-known dev keys outside tests.
    const deployerKey = generatePrivateKey()
    const nodeKey = generatePrivateKey()
    const testClient = createTestClient({ mode: 'anvil', transport: http(anvil.rpcUrl) })
    for (const key of [deployerKey, nodeKey]) await testClient.setBalance({ address: privateKeyToAddress(key), value: parseEther('1000') })
    const deployment = await deployVerity(createVerityWallet({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId, account: deployerKey }))
    const node = createVerityClient({ rpcUrl: anvil.rpcUrl, deployment, account: nodeKey, pollingInterval: 5, manageNonces: true })
    await registerNode(node, { endpoint: 'https://bench.example', stake: parseEther('1') })
    const nodeAddress = privateKeyToAddress(nodeKey)
    const now = Number((await node.publicClient.getBlock()).timestamp)
    let seq = 0
    const makeReceipt = (): { receipt: Receipt; signature: Hex } => {
      const receipt: Receipt = {
        requestId: keccak256(toHex(`bench ${seq++}`)), modelDigest: keccak256(toHex('model')), inputHash: keccak256(toHex(`in ${seq}`)),
        outputHash: keccak256(toHex(`out ${seq}`)), mode: 'VANILLA', proofHash: ZERO_HASH, node: nodeAddress, timestamp: now, chainId: anvil.chainId,
      }
      return { receipt, signature: signReceipt(receipt, nodeKey) }
    }

    // 1. Gas and end-to-end rate of single settlement (sign, send, mined receipt), sequential.
    const singles = ctx.quick ? 20 : 200
    const singleGas: bigint[] = []
    ctx.progress(`settling ${singles} receipts one by one`)
    let t0 = performance.now()
    for (let i = 0; i < singles; i++) singleGas.push((await settleReceipt(node, makeReceipt())).gasUsed)
    const singleSeconds = (performance.now() - t0) / 1000
    const singleMeanGas = Number(singleGas.reduce((a, b) => a + b, 0n)) / singleGas.length
    // The same with 16 transactions in flight (nonces from viem's nonce manager).
    ctx.progress(`settling ${singles} receipts, 16 in flight`)
    const concurrent = await load(() => settleReceipt(node, makeReceipt()), singles, 16)

    // 2. Batches: sign N receipts, digest, leaves, root, post the root.
    const batchRows: (string | number)[][] = []
    const throughputRows: (string | number)[][] = [
      ['single receipts, sequential', String(singles), singles / singleSeconds, singleMeanGas],
      ['single receipts, 16 in flight', String(singles), concurrent.throughput, singleMeanGas],
    ]
    let inclusionGas = 0n
    for (const size of ctx.quick ? [100, 1000] : [100, 1000, 10_000]) {
      ctx.progress(`batch of ${size}`)
      t0 = performance.now()
      const receipts = Array.from({ length: size }, makeReceipt)
      const leaves = receipts.map(({ receipt }) => merkleLeaf(receiptDigest(receipt)))
      const root = merkleRoot(leaves)
      const { gasUsed } = await settleBatch(node, { root, count: size })
      const seconds = (performance.now() - t0) / 1000
      batchRows.push([`batch of ${size}`, Number(gasUsed), Number(gasUsed) / size, singleMeanGas / (Number(gasUsed) / size)])
      throughputRows.push([`batch of ${size} (sign + root + post)`, String(size), size / seconds, Number(gasUsed) / size])
      if (size === 1000) {
        const proof = merkleProof(leaves, 517)
        const digest = receiptDigest(receipts[517]!.receipt)
        if (!(await verifyInclusion(node, { digest, proof, root }))) throw new Error('bench: inclusion proof failed')
        inclusionGas = await node.publicClient.estimateGas({ to: deployment.settlement, account: nodeAddress, data: encodeFunctionData({ abi: Settlement.abi, functionName: 'verifyInclusion', args: [digest, proof, root] }) })
      }
    }
    ctx.printTable('Gas per settled receipt (anvil, optimizer 200 runs)', ['method', 'tx gas', 'gas / receipt', 'x cheaper than single'], [
      ['single receipt (EIP-712 signature checked on chain)', singleMeanGas.toFixed(0), singleMeanGas.toFixed(0), '1'],
      ...batchRows,
      ['verifyInclusion, 1,000-leaf tree (eth_estimateGas of the view)', Number(inclusionGas), '-', '-'],
    ])

    // 3. Merkle root computation alone (protocol merkleLeaf + merkleRoot over receipt digests).
    const rootRows: (string | number)[][] = []
    for (const size of ctx.quick ? [100, 1000] : [100, 1000, 10_000, 100_000]) {
      const digests = Array.from({ length: size }, (_, i) => keccak256(toHex(`digest ${i}`)))
      const leaves = digests.map(merkleLeaf)
      const iterations = size >= 10_000 ? 3 : 20
      const rootOnly = summarize(await sample(() => merkleRoot(leaves), iterations, 1))
      const withLeaves = summarize(await sample(() => merkleRoot(digests.map(merkleLeaf)), iterations, 1))
      rootRows.push([String(size), rootOnly.p50, withLeaves.p50, size / (withLeaves.p50 / 1000)])
    }
    ctx.printTable('Merkle root computation (@verity/protocol, noble keccak)', ['leaves', 'root from leaves ms (p50)', 'leaves + root ms (p50)', 'receipts / s'], rootRows)
    ctx.printTable('Settlement throughput end to end against anvil (automine, one sender)', ['mode', 'receipts', 'receipts / s', 'gas / receipt'], throughputRows)
  } finally {
    await anvil.stop()
  }
}
