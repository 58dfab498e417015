/**
 * What TEE mode costs per request on a node with the dev attester: VANILLA vs TEE latency over HTTP
 * (the evidence rides in every answer), answer sizes, and the client's full verification (signature,
 * hashes, attestation, binding) through the SDK. Real hardware evidence is larger (SEV-SNP ~1.2 kB
 * report + VCEK certificate, TDX quote + collateral); its verification cost is in packages/tee/bench.
 */
import { join } from 'node:path'
import { sample, summarize, type BenchContext } from '@verity/bench'
import { sampleModels } from '@verity/samples'
import { createClient } from '@verity/sdk'
import { startNode } from '../src/index.ts'

export default async function run(ctx: BenchContext): Promise<void> {
  const iterations = ctx.quick ? 20 : 200
  const samples = sampleModels.filter((s) => s.repo === 'verity/tiny-mlp')
  const node = await startNode({ dataDir: join(ctx.tmpDir, 'node'), port: 0, seedSamples: true, samples, workers: 1, logLevel: 'silent', memory: false, zkWorkers: 0, tee: 'dev' })
  try {
    const input = { input: { dtype: 'float32', shape: [1, 4], data: [0.5, -1.25, 3, 0.125] } }
    const model = 'verity/tiny-mlp@1.00'
    const post = async (mode: string) => {
      const r = await fetch(`${node.url}/v1/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, input, mode }) })
      const text = await r.text()
      if (r.status !== 200) throw new Error(text)
      return text.length
    }
    const client = createClient({ url: node.url, allowDevTee: true })
    const rows: (string | number)[][] = []
    for (const mode of ['vanilla', 'tee']) {
      ctx.progress(`HTTP ${mode}`)
      const bytes = await post(mode)
      const s = summarize(await sample(() => post(mode), iterations))
      rows.push([`POST /v1/infer mode ${mode}`, s.mean, s.p50, s.p95, bytes])
    }
    for (const mode of ['vanilla', 'tee'] as const) {
      ctx.progress(`SDK ${mode}`)
      const s = summarize(await sample(() => client.infer({ model, input, mode }), iterations))
      rows.push([`SDK infer + verify, mode ${mode}`, s.mean, s.p50, s.p95, ''])
    }
    ctx.printTable(`tiny-mlp on one node (dev attester), ${iterations} sequential requests each`, ['path', 'mean ms', 'p50 ms', 'p95 ms', 'answer bytes'], rows)
  } finally {
    await node.close()
  }
}
