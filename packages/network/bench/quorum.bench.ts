/**
 * A real local network of 5 node processes (tiny-mlp, 1 worker each): inference latency on one node
 * directly vs through the network client (discovery + registry check), QUORUM latency for k = 1, 3, 5,
 * and settlement throughput end to end (receipts issued → every Merkle root posted on chain).
 * Gas per receipt for single vs batch settlement is in packages/chain/bench/settlement.bench.ts.
 */
import { performance } from 'node:perf_hooks'
import { parseAbiItem, type Hex } from 'viem'
import { load, sample, summarize, type BenchContext } from '@verity/bench'
import { createClient } from '@verity/sdk'
import { createNetworkClient } from '@verity/sdk/network'
import { startLocalNetwork } from '../src/index.ts'

export default async function quorumBench(ctx: BenchContext): Promise<void> {
  ctx.progress('starting anvil and 5 node processes')
  const net = await startLocalNetwork({ dataDir: ctx.tmpDir, nodes: 5, samples: ['verity/tiny-mlp'], settleIntervalMs: 1000, workers: 1, logLevel: 'warn' })
  try {
    const model = 'verity/tiny-mlp@1.00'
    const input = { input: { dtype: 'float32', shape: [1, 4], data: [0.5, -1.25, 3, 0.125] } }
    const iterations = ctx.quick ? 10 : 50
    const client = createNetworkClient({ rpcUrl: net.rpcUrl, deployment: net.deployment, strategy: 'round-robin' })
    const direct = createClient({ url: net.nodes[0]!.url })
    const rows: (string | number)[][] = []
    const row = (label: string, ms: number[]) => {
      const s = summarize(ms)
      rows.push([label, String(s.n), s.p50, s.p95, s.mean])
    }
    ctx.progress('single node, direct')
    row('one node, direct (VANILLA)', await sample(() => direct.infer({ model, input }), iterations))
    ctx.progress('network client, VANILLA')
    row('network client (VANILLA + registry check)', await sample(() => client.infer({ model, input }), iterations))
    for (const k of [1, 3, 5]) {
      ctx.progress(`QUORUM k=${k}`)
      row(`QUORUM k = ${k}`, await sample(() => client.infer({ model, input, mode: 'quorum', k }), iterations))
    }
    ctx.printTable('Inference latency, 5 local node processes (ms)', ['path', 'n', 'p50', 'p95', 'mean'], rows)

    // Settlement end to end: issue N receipts over the 5 nodes, then wait until every node has posted them.
    const total = ctx.quick ? 100 : 500
    const nodes = net.nodes.map((n) => createClient({ url: n.url }))
    const settled = async () => {
      for (;;) {
        const pending = await Promise.all(nodes.map(async (n) => (await n.health()).network?.settlement.pendingReceipts ?? 0))
        if (pending.every((p) => p === 0)) return
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    // Let the latency runs' receipts settle first, so that only this run's batches are counted.
    await settled()
    const fromBlock = await client.chain.publicClient.getBlockNumber()
    ctx.progress(`issuing ${total} receipts (8 in flight) and waiting for their settlement`)
    const t0 = performance.now()
    let next = 0
    const issuedRun = await load(() => nodes[next++ % nodes.length]!.infer({ model, input }), total, 8)
    const tIssued = performance.now()
    await settled()
    const tSettled = performance.now()
    const logs = await client.chain.publicClient.getLogs({
      address: net.deployment.settlement, event: parseAbiItem('event BatchSettled(bytes32 indexed root, address indexed node, uint32 count)'), fromBlock: fromBlock + 1n,
    })
    let gas = 0n
    let receipts = 0
    for (const log of logs) {
      gas += (await client.chain.publicClient.getTransactionReceipt({ hash: log.transactionHash as Hex })).gasUsed
      receipts += log.args.count ?? 0
    }
    ctx.printTable('Settlement end to end (5 nodes, batches every 1 s)', ['measure', 'value'], [
      ['receipts issued', String(total)],
      ['issue rate (receipts/s, 8 in flight)', issuedRun.throughput],
      ['receipts in batches posted', String(receipts)],
      ['batches posted', String(logs.length)],
      ['last root posted after last receipt (ms)', tSettled - tIssued],
      ['end-to-end settled throughput (receipts/s)', (total / (tSettled - t0)) * 1000],
      ['gas per receipt (batched)', receipts > 0 ? Number(gas) / receipts : 0],
    ])
  } finally {
    await net.stop()
  }
}
