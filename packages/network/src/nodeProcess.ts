/**
 * Entry script of one network node process: `node nodeProcess.ts` with the node's spec as JSON in
 * VERITY_NODE_SPEC. Starts the node on the chain, prints one `VERITY_READY {json}` line on stdout,
 * and on SIGTERM/SIGINT settles its pending receipts and exits 0. Logs go to <dataDir>/node.log.
 */
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { loadDeployment } from '@verity/chain'
import { startNode, type NodeTeeSetting } from '@verity/node'
import { sampleModels } from '@verity/samples'

export type NodeProcessSpec = {
  dataDir: string
  host: string
  port: number
  rpcUrl: string
  deploymentPath: string
  /** Wei, decimal string. */
  stake: string
  settleIntervalMs?: number | undefined
  heartbeatMs?: number | undefined
  workers?: number | undefined
  /** Seed these sample repos (all when absent; none when empty). */
  samples?: string[] | undefined
  peers?: string[] | undefined
  logLevel?: string | undefined
  /** TEE provider setting (none, dev, auto, ...); default none. */
  tee?: NodeTeeSetting | undefined
}

export type NodeReady = { url: string; address: string; models: Array<{ ref: string; cid: string }>; pid: number }

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.VERITY_NODE_SPEC ?? 'null') as NodeProcessSpec | null
  if (spec === null) throw new Error('VERITY_NODE_SPEC (the node spec as JSON) is not set')
  const logStream = createWriteStream(join(spec.dataDir, 'node.log'), { flags: 'a' })
  const samples = spec.samples === undefined ? sampleModels : sampleModels.filter((s) => spec.samples!.includes(s.repo))
  const node = await startNode({
    dataDir: spec.dataDir, host: spec.host, port: spec.port, workers: spec.workers, seedSamples: samples.length > 0, samples,
    logLevel: spec.logLevel ?? 'info', logStream, chainId: loadDeployment(spec.deploymentPath).chainId, tee: spec.tee,
    network: {
      rpcUrl: spec.rpcUrl, deployment: loadDeployment(spec.deploymentPath), stake: BigInt(spec.stake),
      // VERITY_SETTLE_INTERVAL_MS overrides the spec for one node (tests hold a batch back with it).
      settleIntervalMs: process.env.VERITY_SETTLE_INTERVAL_MS ? Number(process.env.VERITY_SETTLE_INTERVAL_MS) : spec.settleIntervalMs, heartbeatMs: spec.heartbeatMs, peers: spec.peers,
    },
  })
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    node.close().then(() => process.exit(0), (error: unknown) => { process.stderr.write(`${String(error)}\n`); process.exit(1) })
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  // The parent going away (its stdin pipe closes) stops the node too: no orphans.
  process.stdin.on('end', stop)
  process.stdin.resume()
  const ready: NodeReady = { url: node.url, address: node.address, models: node.models.map((m) => ({ ref: m.ref, cid: m.cid })), pid: process.pid }
  process.stdout.write(`VERITY_READY ${JSON.stringify(ready)}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`node failed to start: ${(error as Error)?.stack ?? String(error)}\n`)
  process.exit(1)
})
