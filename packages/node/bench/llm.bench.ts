/**
 * The LLM gateway's overhead: the same OpenAI-compatible upstream called directly and through the
 * node (a separate process with the dev TEE: gateway, canonical hashing, receipt signing, receipt
 * storage), side by side in one run. Whole answers: latency p50/p95; streams: time to the first
 * event (TTFT) and to the end. The upstream answers at once, so every millisecond is overhead.
 */
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { summarize, type BenchContext } from '@verity/bench'
import { chunk, completion, startScriptedUpstream, type ScriptedUpstream } from '@verity/llm-gateway/testing'
import { createLlmClient } from '@verity/sdk/chat'
import { startNodeProcess } from './_nodeProcess.ts'


const words = Array.from({ length: 30 }, (_, i) => `word${i} `)
const whole = () => completion(words.join(''))
const streamed = () => ({ sse: [chunk({ role: 'assistant', content: '' }), ...words.map((w) => chunk({ content: w })), chunk({}, 'stop')], gapMs: 1 })

async function post(url: string, body: unknown): Promise<Response> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`)
  return r
}

/** Milliseconds to the first server-sent event and to the end of the stream. */
async function timeStream(url: string, body: unknown): Promise<{ first: number; total: number }> {
  const t0 = performance.now()
  const r = await post(url, body)
  let first = -1
  for await (const part of r.body as unknown as AsyncIterable<Uint8Array>) {
    if (first < 0 && Buffer.from(part).includes('data:')) first = performance.now() - t0
  }
  return { first, total: performance.now() - t0 }
}

export default async function run(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 30 : 200
  const upstream: ScriptedUpstream = await startScriptedUpstream()
  const node = await startNodeProcess(new URL('./_serveLlm.ts', import.meta.url), [join(ctx.tmpDir, 'node'), upstream.baseUrl])
  try {
    const request = { messages: [{ role: 'user', content: 'Say thirty words.' }], temperature: 0 }
    const direct = `${upstream.baseUrl}/chat/completions`
    const viaNode = `${node.url}/v1/chat/completions`
    const client = createLlmClient({ url: node.url, allowDevTee: true })
    const lat = { direct: [] as number[], node: [] as number[], sdk: [] as number[] }
    const ttft = { direct: [] as number[], node: [] as number[] }
    const end = { direct: [] as number[], node: [] as number[] }
    const time = async (fn: () => Promise<unknown>) => { const t0 = performance.now(); await fn(); return performance.now() - t0 }
    ctx.progress(`whole answers, ${n} rounds (direct, node, node + SDK verification interleaved)`)
    for (let i = -5; i < n; i++) {
      upstream.push({ json: whole() })
      const d = await time(async () => (await post(direct, { ...request, model: 'tiny' })).json())
      upstream.push({ json: whole() })
      const v = await time(async () => (await post(viaNode, { ...request, model: 'local/tiny', verity: { settlement: 'private' } })).json())
      upstream.push({ json: whole() })
      const s = await time(() => client.chat({ ...request, model: 'local/tiny', verity: { settlement: 'private' } } as never))
      if (i >= 0) { lat.direct.push(d); lat.node.push(v); lat.sdk.push(s) }
    }
    ctx.progress(`streams, ${n} rounds (direct and node interleaved)`)
    for (let i = -5; i < n; i++) {
      upstream.push(streamed())
      const d = await timeStream(direct, { ...request, model: 'tiny', stream: true })
      upstream.push(streamed())
      const v = await timeStream(viaNode, { ...request, model: 'local/tiny', stream: true, verity: { settlement: 'private' } })
      if (i >= 0) { ttft.direct.push(d.first); ttft.node.push(v.first); end.direct.push(d.total); end.node.push(v.total) }
    }
    const row = (label: string, samples: number[], base?: number[]) => {
      const s = summarize(samples)
      const b = base ? summarize(base) : null
      const delta = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`
      return [label, s.p50, s.p95, b ? delta(s.p50 - b.p50) : '—', b ? delta(s.p95 - b.p95) : '—']
    }
    ctx.printTable(`LLM gateway overhead, ${n} requests each, upstream on 127.0.0.1 answering at once (ms)`, ['path', 'p50', 'p95', 'Δ p50', 'Δ p95'], [
      row('whole answer: upstream directly', lat.direct),
      row('whole answer: through the node (receipt signed + stored)', lat.node, lat.direct),
      row('whole answer: through the node + SDK verification', lat.sdk, lat.direct),
      row('stream, first event: upstream directly', ttft.direct),
      row('stream, first event: through the node', ttft.node, ttft.direct),
      row('stream, to [DONE] (32 events, 1 ms apart): upstream directly', end.direct),
      row('stream, to [DONE]: through the node (+ receipt event)', end.node, end.direct),
    ])
  } finally {
    await node.stop()
    await upstream.close()
  }
}
