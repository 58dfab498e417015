/** Gateway overhead against a local scripted upstream, and canonical hashing cost. */
import { sample, summarize, type BenchContext } from '@verity/bench'
import { createLlmGateway, hashOutput, hashRequest } from '../src/index.ts'
import { completion, chunk, startScriptedUpstream } from '../src/_upstream.ts'

export default async function (ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 20 : 200
  const upstream = await startScriptedUpstream()
  try {
    const gateway = createLlmGateway({ providers: [{ name: 'local', baseUrl: upstream.baseUrl }] })
    const request = { model: 'local/tiny', messages: [{ role: 'user' as const, content: 'Say something short.' }] }
    const words = Array.from({ length: 50 }, (_, i) => `word${i} `)
    ctx.progress('whole answers')
    const whole = summarize(await sample(async () => {
      upstream.push({ json: completion(words.join('')) })
      await gateway.chatCompletion(request)
    }, n))
    ctx.progress('streamed answers')
    const streamed = summarize(await sample(async () => {
      upstream.push({ sse: [chunk({ role: 'assistant', content: '' }), ...words.map((w) => chunk({ content: w })), chunk({}, 'stop')] })
      const s = gateway.streamChatCompletion({ ...request, stream: true })
      for await (const _ of s) { /* drain */ }
      await s.exchange
    }, n))
    const big = { model: 'local/tiny', messages: Array.from({ length: 50 }, (_, i) => ({ role: 'user' as const, content: 'x'.repeat(2000) + i })) }
    const answer = { model: 'local/tiny', choices: [{ index: 0, message: { role: 'assistant' as const, content: 'y'.repeat(100_000) }, finish_reason: 'stop' }] }
    const hashReq = summarize(await sample(() => hashRequest(big), n))
    const hashOut = summarize(await sample(() => hashOutput(answer), n))
    ctx.printTable(`llm-gateway, ${n} runs each (upstream on 127.0.0.1)`, ['operation', 'mean ms', 'p50 ms', 'p95 ms'], [
      ['chatCompletion round trip (50-word answer)', whole.mean, whole.p50, whole.p95],
      ['streamChatCompletion round trip (52 SSE events)', streamed.mean, streamed.p50, streamed.p95],
      ['hashRequest (50 messages, 100 KB)', hashReq.mean, hashReq.p50, hashReq.p95],
      ['hashOutput (100 KB answer)', hashOut.mean, hashOut.p50, hashOut.p95],
    ])
  } finally {
    await upstream.close()
  }
}
