import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { VerityError } from '@verity/protocol'
import { createLlmGateway, type GatewayLogEvent } from './gateway.ts'
import { hashOutput } from './hashing.ts'
import { chunk, completion, startScriptedUpstream, type ScriptedUpstream } from './_upstream.ts'

const KEY = 'sk-test-SECRET-0123456789'
let upstream: ScriptedUpstream
let logs: GatewayLogEvent[]

before(async () => {
  upstream = await startScriptedUpstream()
})
after(async () => {
  await upstream.close()
})

function gateway(extra: Record<string, unknown> = {}) {
  logs = []
  return createLlmGateway({
    providers: [{ name: 'acme', baseUrl: upstream.baseUrl, apiKeyEnv: 'ACME_API_KEY' }, { name: 'local', baseUrl: upstream.baseUrl }],
    env: { ACME_API_KEY: KEY }, backoffMs: 5, log: (e) => logs.push(e), ...extra,
  })
}
const ask = (extra: Record<string, unknown> = {}) => ({ model: 'acme/small-model', messages: [{ role: 'user', content: 'Say hi' }], ...extra })
const isCode = (code: string) => (e: unknown) => e instanceof VerityError && e.code === code

test('forwards a chat completion with the upstream model name and the API key from the environment', async () => {
  upstream.push({ json: completion('Hi!') })
  const before = upstream.received.length
  const ex = await gateway().chatCompletion(ask({ temperature: 0 }))
  const got = upstream.received[before]!
  assert.equal(got.url, '/v1/chat/completions')
  assert.equal(got.headers.authorization, `Bearer ${KEY}`)
  assert.equal(got.body.model, 'small-model')
  assert.equal(got.body.temperature, 0)
  assert.equal(ex.response.choices[0]!.message.content, 'Hi!')
  assert.equal(ex.response.model, 'acme/small-model')
  assert.equal(ex.response.upstream_model, 'upstream-model-2024')
  assert.equal(ex.outputHash, hashOutput(ex.response))
  assert.equal(ex.streamed, false)
  assert.equal(ex.attempts, 1)
  assert.match(ex.requestHash, /^0x[0-9a-f]{64}$/)
})

test('keyless providers send no Authorization header', async () => {
  upstream.push({ json: completion('ok') })
  const before = upstream.received.length
  await gateway().chatCompletion(ask({ model: 'local/llama' }))
  assert.equal(upstream.received[before]!.headers.authorization, undefined)
})

test('streams server-sent events and assembles the same answer, with the same output hash', async () => {
  upstream.push({ json: completion('Hello there, friend.') })
  const whole = await gateway().chatCompletion(ask())
  upstream.push({
    sse: [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hello' }), chunk({ content: ' there,' }), chunk({ content: ' friend.' }), chunk({}, 'stop'),
      { id: 'chatcmpl-123', object: 'chat.completion.chunk', created: 1, model: 'upstream-model-2024', choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } }],
  })
  const before = upstream.received.length
  const stream = gateway().streamChatCompletion(ask({ stream: true, stream_options: { include_usage: true } }))
  const deltas: string[] = []
  for await (const c of stream) {
    assert.equal(c.model, 'acme/small-model')
    if (c.choices[0]?.delta.content) deltas.push(c.choices[0].delta.content)
  }
  const ex = await stream.exchange
  assert.equal(upstream.received[before]!.body.stream, true)
  assert.deepEqual(upstream.received[before]!.body.stream_options, { include_usage: true })
  assert.deepEqual(deltas, ['Hello', ' there,', ' friend.'])
  assert.equal(ex.streamed, true)
  assert.equal(ex.response.choices[0]!.message.content, 'Hello there, friend.')
  assert.deepEqual(ex.response.usage, { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 })
  assert.equal(ex.outputHash, whole.outputHash)
  assert.equal(ex.requestHash, whole.requestHash, 'stream flags do not change the request hash')
})

test('streamed tool calls are assembled by index and hashed', async () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }]
  upstream.push({
    sse: [
      chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] }),
      chunk({}, 'tool_calls'),
    ],
  })
  const before = upstream.received.length
  const stream = gateway().streamChatCompletion(ask({ tools, tool_choice: 'auto' }))
  for await (const _ of stream) { /* drain */ }
  const ex = await stream.exchange
  assert.deepEqual(upstream.received[before]!.body.tools, tools)
  assert.equal(upstream.received[before]!.body.tool_choice, 'auto')
  const calls = ex.response.choices[0]!.message.tool_calls!
  assert.deepEqual(calls.map((c) => [c.id, c.function.name, c.function.arguments]), [['call_1', 'get_weather', '{"city":"Paris"}'], ['call_2', 'get_weather', '{"city":"Oslo"}']])
  assert.equal(ex.response.choices[0]!.finish_reason, 'tool_calls')
  // The same tool calls returned whole hash equally; different arguments do not.
  upstream.push({ json: completion(null, {}, { tool_calls: calls }) })
  assert.equal((await gateway().chatCompletion(ask({ tools, tool_choice: 'auto' }))).outputHash, ex.outputHash)
  const changed = structuredClone(calls)
  changed[0]!.function.arguments = '{"city":"Lyon"}'
  upstream.push({ json: completion(null, {}, { tool_calls: changed }) })
  assert.notEqual((await gateway().chatCompletion(ask({ tools, tool_choice: 'auto' }))).outputHash, ex.outputHash)
})

test('response_format with a JSON schema is forwarded untouched', async () => {
  const response_format = { type: 'json_schema', json_schema: { name: 'answer', strict: true, schema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false } } }
  upstream.push({ json: completion('{"n":4}') })
  const before = upstream.received.length
  const ex = await gateway().chatCompletion(ask({ response_format }))
  assert.deepEqual(upstream.received[before]!.body.response_format, response_format)
  assert.deepEqual(JSON.parse(ex.response.choices[0]!.message.content!), { n: 4 })
})

test('transient failures are retried with backoff; Retry-After is honoured', async () => {
  upstream.push({ status: 503, json: { error: { message: 'overloaded' } } }, { status: 429, json: { error: { message: 'slow down' } }, headers: { 'retry-after': '0' } }, { json: completion('finally') })
  const ex = await gateway().chatCompletion(ask())
  assert.equal(ex.attempts, 3)
  assert.equal(ex.response.choices[0]!.message.content, 'finally')
  const retries = logs.filter((l) => l.event === 'upstream.retry')
  assert.deepEqual(retries.map((r) => (r as { delayMs: number }).delayMs), [5, 0])
})

test('upstream errors are passed on with their status and message, and 4xx is not retried', async () => {
  upstream.push({ status: 400, json: { error: { message: "Invalid value for 'temperature'", type: 'invalid_request_error', code: 'bad_temp' } } })
  const before = upstream.received.length
  await assert.rejects(gateway().chatCompletion(ask()), (e: unknown) => {
    assert.ok(isCode('UPSTREAM_ERROR')(e))
    const err = e as VerityError
    assert.match(err.message, /acme answered 400: Invalid value for 'temperature'/)
    assert.equal(err.details.status, 400)
    assert.deepEqual((err.details.upstream as { error: { code: string } }).error.code, 'bad_temp')
    return true
  })
  assert.equal(upstream.received.length, before + 1)
})

test('retries give up after maxRetries and say how many attempts were made', async () => {
  upstream.push({ status: 502, json: { error: 'bad gateway' } }, { status: 502, json: { error: 'bad gateway' } })
  await assert.rejects(gateway({ maxRetries: 1 }).chatCompletion(ask()), (e: unknown) => isCode('UPSTREAM_ERROR')(e) && (e as VerityError).details.attempts === 2)
})

test('a slow upstream times out (TIMEOUT) after the retries', async () => {
  // The upstream would answer after 3 s: the gateway gives up long before (a margin wide enough for a loaded machine).
  upstream.push({ json: completion('late'), delayMs: 3000 }, { json: completion('late'), delayMs: 3000 })
  const started = Date.now()
  await assert.rejects(gateway({ timeoutMs: 60, maxRetries: 1 }).chatCompletion(ask()), isCode('TIMEOUT'))
  assert.ok(Date.now() - started < 2500)
})

test('a stalled stream times out mid-stream', async () => {
  upstream.push({ sse: [chunk({ content: 'a' }), chunk({ content: 'b' })], gapMs: 300 })
  const stream = gateway({ timeoutMs: 80, maxRetries: 0 }).streamChatCompletion(ask())
  await assert.rejects((async () => {
    for await (const _ of stream) { /* drain */ }
  })(), isCode('TIMEOUT'))
  await assert.rejects(stream.exchange, isCode('TIMEOUT'))
})

test('an error event mid-stream fails the stream and the exchange', async () => {
  upstream.push({ sse: [chunk({ content: 'partial' }), { error: { message: 'model crashed' } }] })
  const stream = gateway().streamChatCompletion(ask())
  await assert.rejects((async () => {
    for await (const _ of stream) { /* drain */ }
  })(), (e: unknown) => isCode('UPSTREAM_ERROR')(e) && /model crashed/.test((e as Error).message))
  await assert.rejects(stream.exchange, isCode('UPSTREAM_ERROR'))
})

test('the API key never appears in errors or logs, even when the upstream echoes it', async () => {
  upstream.push({ status: 401, json: { error: { message: `Incorrect API key provided: ${KEY}` } } })
  let caught: unknown
  await gateway().chatCompletion(ask()).catch((e: unknown) => {
    caught = e
  })
  assert.ok(isCode('UPSTREAM_ERROR')(caught))
  const everything = JSON.stringify({ message: (caught as Error).message, details: (caught as VerityError).details, logs })
  assert.ok(!everything.includes(KEY), 'key leaked')
  assert.match(everything, /\[redacted\]/)
})

test('a missing API key variable is named, not guessed', async () => {
  const g = createLlmGateway({ providers: [{ name: 'acme', baseUrl: upstream.baseUrl, apiKeyEnv: 'ACME_API_KEY' }], env: {} })
  await assert.rejects(g.chatCompletion(ask()), (e: unknown) => isCode('UPSTREAM_ERROR')(e) && /ACME_API_KEY is not set/.test((e as Error).message))
})

test('an unreachable upstream is an UPSTREAM_ERROR with the cause', async () => {
  const g = createLlmGateway({ providers: [{ name: 'gone', baseUrl: 'http://127.0.0.1:9/v1' }], backoffMs: 1, maxRetries: 1 })
  await assert.rejects(g.chatCompletion(ask({ model: 'gone/x' })), (e: unknown) => isCode('UPSTREAM_ERROR')(e) && /could not be reached/.test((e as Error).message) && (e as Error).cause !== undefined)
})

test('bad requests are refused before any upstream call', async () => {
  const g = gateway()
  const before = upstream.received.length
  await assert.rejects(g.chatCompletion(ask({ model: 'nobody/x' })), (e: unknown) => isCode('BAD_REQUEST')(e) && /no upstream provider "nobody"/.test((e as Error).message))
  await assert.rejects(g.chatCompletion(ask({ model: 'no-slash' })), isCode('BAD_REQUEST'))
  await assert.rejects(g.chatCompletion(ask({ messages: [] })), isCode('BAD_REQUEST'))
  await assert.rejects(g.chatCompletion(ask({ messages: [{ role: 'robot', content: 'x' }] })), (e: unknown) => isCode('BAD_REQUEST')(e) && /messages\[0\]\.role/.test((e as Error).message))
  await assert.rejects(g.chatCompletion(ask({ response_format: { type: 'json_schema', json_schema: { name: 'x' } } })), isCode('BAD_REQUEST'))
  await assert.rejects(g.chatCompletion(ask({ tools: [{ type: 'function', function: { name: 'bad name!' } }] })), isCode('BAD_REQUEST'))
  assert.throws(() => g.streamChatCompletion(ask({ temperature: 'hot' })), isCode('BAD_REQUEST'))
  assert.equal(upstream.received.length, before)
  assert.throws(() => createLlmGateway({ providers: [{ name: 'Bad Name', baseUrl: 'http://x' }] }), TypeError)
})

test('a caller abort stops the request', async () => {
  upstream.push({ json: completion('late'), delayMs: 300 })
  const controller = new AbortController()
  const pending = gateway().chatCompletion(ask(), { signal: controller.signal })
  setTimeout(() => controller.abort(new Error('client went away')), 30)
  await assert.rejects(pending, /client went away/)
})
