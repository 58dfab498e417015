/**
 * The LLM routes through real HTTP: a node with the INSECURE dev TEE and a node without TEE, both in
 * process, in front of a scripted OpenAI-compatible upstream (a real server on 127.0.0.1). Answers
 * are checked with the SDK (@verity/sdk/chat) exactly as clients check them.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { chunk, completion, startScriptedUpstream, type ScriptedUpstream } from '@verity/llm-gateway/testing'
import { VerityError } from '@verity/protocol'
import { NodeRequestError, VerificationError } from '@verity/sdk'
import { createLlmClient, verifyLlmResult, type VerifiedLlmResult } from '@verity/sdk/chat'
import { resolveLlmProviders, startNode, type RunningNode } from './index.ts'
import { expectNodeError } from './_testErrors.ts'

const KEY = 'sk-live-TOP-SECRET-4242'
let upstream: ScriptedUpstream
let teeNode: RunningNode
let plainNode: RunningNode
const dirs: string[] = []
let logs = ''

before(async () => {
  upstream = await startScriptedUpstream()
  process.env.VERITY_LLM_KEY_ACME = KEY
  const common = { port: 0, seedSamples: false, workers: 1, memory: false, zkWorkers: 0, llmTimeoutMs: 1500, llmMaxRetries: 1, llmProviders: resolveLlmProviders([`acme=${upstream.baseUrl}`, `local=${upstream.baseUrl}`]) }
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'verity-llm-'))
    dirs.push(d)
    return d
  }
  // Trace level: everything the node logs, to prove no key ever reaches a log line.
  const logStream = new Writable({ write(c, _e, done) { logs += String(c); done() } })
  teeNode = await startNode({ ...common, dataDir: tmp(), tee: 'dev', logLevel: 'trace', logStream })
  plainNode = await startNode({ ...common, dataDir: tmp(), logLevel: 'silent' })
})
after(async () => {
  delete process.env.VERITY_LLM_KEY_ACME
  await teeNode?.close()
  await plainNode?.close()
  await upstream?.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const llm = (extra: Parameters<typeof createLlmClient>[0] = {}) => createLlmClient({ url: teeNode.url, allowDevTee: true, ...extra })
const ask = { model: 'acme/small-model', messages: [{ role: 'user' as const, content: 'What is 2+2?' }], temperature: 0 }
const streamOf = (...pieces: string[]) => ({ sse: [chunk({ role: 'assistant', content: '' }), ...pieces.map((p) => chunk({ content: p })), chunk({}, 'stop')] })

const rejects = expectNodeError

const checkNames = (r: VerifiedLlmResult) => r.verification.checks.map((c) => `${c.check}:${c.ok}`)

test('chat: the answer carries a TEE receipt over the attestation digest, verified by the SDK, stored by id', async () => {
  upstream.push({ json: completion('4') })
  const before = upstream.received.length
  const result = await llm().chat({ ...ask, verity: { settlement: 'private' } })
  assert.deepEqual(checkNames(result), ['model:true', 'input-hash:true', 'output-hash:true', 'mode:true', 'signature:true', 'attestation:true', 'binding:true'])
  assert.equal((result.response.choices as Array<{ message: { content: string } }>)[0]!.message.content, '4')
  assert.equal(result.response.model, 'acme/small-model')
  // Upstream: its own model name, the key from VERITY_LLM_KEY_ACME, no Verity options.
  const sent = upstream.received[before]!
  assert.equal(sent.body.model, 'small-model')
  assert.equal(sent.headers.authorization, `Bearer ${KEY}`)
  assert.equal(sent.body.verity, undefined)
  const attestation = await (await fetch(`${teeNode.url}/v1/attestation`)).json() as { digest: string; measurement: string }
  const v = result.verity
  assert.equal(v.receipt.mode, 'TEE')
  assert.equal(v.receipt.proofHash, attestation.digest)
  assert.equal(v.attestation.digest, attestation.digest)
  assert.equal(v.attestation.provider, 'dev')
  assert.equal(v.receipt.node, teeNode.address)
  assert.deepEqual(v.settlement, { mode: 'private' })
  const stored = await (await fetch(`${teeNode.url}/v1/receipts/${v.receiptId}`)).json() as { model: string; receipt: unknown; signature: string; proof?: unknown }
  assert.equal(stored.model, 'llm:acme/small-model')
  assert.deepEqual(stored.receipt, v.receipt)
  assert.equal(stored.signature, v.signature)
  assert.deepEqual(stored.proof, v.attestation.evidence, 'the receipt keeps the evidence its proofHash commits to')
})

test('verification: the dev TEE is refused unless allowed; a changed answer, request or evidence fails naming the check', async () => {
  upstream.push({ json: completion('4') })
  await assert.rejects(llm({ allowDevTee: false }).chat(ask), (e: unknown) => e instanceof VerificationError && e.check === 'attestation' && /INSECURE/.test(e.message))
  upstream.push({ json: completion('4') })
  const { verification: _v, ...saved } = await llm().chat(ask)
  const ok = (r: unknown) => verifyLlmResult(r, { allowDevTee: true })
  assert.equal(ok(saved).ok, true)
  const failed = (r: unknown) => ok(r).checks.filter((c) => !c.ok).map((c) => c.check)
  const answer = structuredClone(saved)
  ;(answer.response.choices as Array<{ message: { content: string } }>)[0]!.message.content = '5'
  assert.deepEqual(failed(answer), ['output-hash'])
  const question = structuredClone(saved)
  ;(question.request.messages as Array<{ content: string }>)[0]!.content = 'What is 2+3?'
  assert.deepEqual(failed(question), ['input-hash'])
  const evidence = structuredClone(saved)
  ;(evidence.verity.attestation.evidence as { measurement: string }).measurement = `0x${'11'.repeat(48)}`
  assert.deepEqual(failed(evidence), ['attestation'])
  const signer = structuredClone(saved)
  signer.verity.signature = `0x${'00'.repeat(65)}`
  assert.deepEqual(failed(signer), ['signature'])
  assert.deepEqual(ok({ kind: 'something-else' }).checks.map((c) => c.check), ['format'])
  // Pinning another signer fails the signer check.
  assert.deepEqual(verifyLlmResult(saved, { allowDevTee: true, trustedSigners: [plainNode.address] }).checks.filter((c) => !c.ok).map((c) => c.check), ['signer'])
})

test('streaming chat: chunks as they come, the receipt as the last event before [DONE], then the verified result', async () => {
  upstream.push(streamOf('Hello', ' there', '.'))
  const response = await fetch(`${teeNode.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...ask, stream: true }) })
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/)
  const events = (await response.text()).split('\n\n').filter(Boolean).map((e) => e.replace(/^data: /, ''))
  assert.equal(events.at(-1), '[DONE]')
  const last = JSON.parse(events.at(-2)!) as { object: string; choices: unknown[]; verity: { receipt: { mode: string } } }
  assert.equal(last.object, 'chat.completion.chunk')
  assert.deepEqual(last.choices, [])
  assert.equal(last.verity.receipt.mode, 'TEE')

  upstream.push(streamOf('Hello', ' there', '.'))
  const text: string[] = []
  let final: VerifiedLlmResult | null = null
  for await (const event of llm().chatStream(ask)) {
    if (event.object === 'verity.result') final = event
    else text.push(event.choices[0]?.delta.content ?? '')
  }
  assert.equal(text.join(''), 'Hello there.')
  assert.ok(final)
  assert.equal((final.response.choices as Array<{ message: { content: string } }>)[0]!.message.content, 'Hello there.')
  assert.ok(final.verification.checks.every((c) => c.ok))
  assert.deepEqual(final.verity.settlement, { mode: 'batch' })
})

test('completions, whole and streamed, verify through the chat canonical form', async () => {
  upstream.push({ json: completion(' a princess.') })
  const before = upstream.received.length
  const whole = await llm().complete({ model: 'local/tiny', prompt: 'Once upon a time there was', max_tokens: 5 })
  assert.deepEqual(upstream.received[before]!.body.messages, [{ role: 'user', content: 'Once upon a time there was' }])
  assert.equal(whole.response.object, 'text_completion')
  assert.equal((whole.response.choices as Array<{ text: string }>)[0]!.text, ' a princess.')
  assert.ok(whole.verification.checks.every((c) => c.ok))

  upstream.push(streamOf(' a', ' dragon.'))
  const pieces: string[] = []
  let final: VerifiedLlmResult | null = null
  for await (const event of llm().completeStream({ model: 'local/tiny', prompt: 'Once upon a time there was' })) {
    if (event.object === 'verity.result') final = event
    else pieces.push(event.choices[0]?.text ?? '')
  }
  assert.equal(pieces.join(''), ' a dragon.')
  assert.equal((final!.response.choices as Array<{ text: string }>)[0]!.text, ' a dragon.')
  const tampered = structuredClone({ ...final!, verification: undefined })
  ;(tampered.response.choices as Array<{ text: string }>)[0]!.text = ' a unicorn.'
  assert.deepEqual(verifyLlmResult(tampered, { allowDevTee: true }).checks.filter((c) => !c.ok).map((c) => c.check), ['output-hash'])
  await rejects(llm().complete({ model: 'local/tiny', prompt: 'x', echo: true } as never), 'BAD_REQUEST', 400, /echo/)
})

test('tools and JSON-schema response formats pass through and verify', async () => {
  const toolCall = { tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'add', arguments: '{"a":2,"b":2}' } }] }
  upstream.push({ json: completion(null, {}, toolCall) })
  const before = upstream.received.length
  const tools = [{ type: 'function' as const, function: { name: 'add', parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } } } }]
  const called = await llm().chat({ ...ask, tools, tool_choice: 'auto' })
  assert.deepEqual(upstream.received[before]!.body.tools, tools)
  assert.equal((called.response.choices as Array<{ message: { tool_calls: Array<{ function: { name: string } }> } }>)[0]!.message.tool_calls[0]!.function.name, 'add')
  const schema = { type: 'json_schema' as const, json_schema: { name: 'answer', schema: { type: 'object', properties: { value: { type: 'integer' } }, required: ['value'] }, strict: true } }
  upstream.push({ json: completion('{"value":4}') })
  const structured = await llm().chat({ ...ask, response_format: schema })
  assert.deepEqual(upstream.received.at(-1)!.body.response_format, schema)
  assert.ok(structured.verification.checks.every((c) => c.ok))
})

test('upstream failures come back with their cause; retries and timeouts follow the node config', async () => {
  upstream.push({ status: 400, json: { error: { message: 'max_tokens is too large for this model' } } })
  const e = await rejects(llm().chat(ask), 'UPSTREAM_ERROR', 502, /answered 400: max_tokens is too large/)
  assert.equal(e.details.status, 400)
  // 503 then an answer: one retry (llmMaxRetries 1) makes it.
  upstream.push({ status: 503, json: { error: { message: 'overloaded' } } }, { json: completion('ok') })
  const before = upstream.received.length
  assert.ok((await llm().chat(ask)).verification.ok)
  assert.equal(upstream.received.length - before, 2)
  // Slower than llmTimeoutMs on both attempts.
  upstream.push({ delayMs: 2000, json: completion('late') }, { delayMs: 2000, json: completion('late') })
  await rejects(llm().chat(ask), 'TIMEOUT', 504, /did not answer within 1500 ms/)
  // An upstream that echoes the key back: scrubbed from what the client sees.
  upstream.push({ status: 401, json: { error: { message: `invalid key ${KEY}` } } })
  const leaked = await rejects(llm().chat(ask), 'UPSTREAM_ERROR', 502, /\[redacted\]/)
  assert.doesNotMatch(JSON.stringify(leaked.details) + leaked.message, new RegExp(KEY))
  // A stream that breaks after its first event ends with an error event the SDK raises.
  upstream.push({ sse: [chunk({ role: 'assistant', content: 'Hel' }), { error: { message: 'upstream crashed' } }] })
  await assert.rejects(async () => { for await (const _ of llm().chatStream(ask)) { /* drain */ } }, (err: unknown) => err instanceof NodeRequestError && err.code === 'UPSTREAM_ERROR' && /upstream crashed/.test(err.message))
  // The node keeps serving, and never logged the key, even at trace level.
  upstream.push({ json: completion('still here') })
  assert.ok((await llm().chat(ask)).verification.ok)
  assert.ok(logs.includes('llm upstream.request'), 'gateway events are logged')
  assert.doesNotMatch(logs, new RegExp(KEY))
})

test('refusals: no TEE, unknown provider, bad body, bad settlement, individual settlement without a chain', async () => {
  await rejects(createLlmClient({ url: plainNode.url }).chat(ask), 'TEE_NOT_CONFIGURED', 404, /no TEE attestation/)
  await rejects(llm().chat({ ...ask, model: 'nobody/x' }), 'MODEL_NOT_FOUND', 404, /no upstream provider "nobody"/)
  await rejects(llm().chat({ ...ask, messages: [{ role: 'robot' as never, content: 'hi' }] }), 'BAD_REQUEST', 400, /messages\[0\]\.role/)
  await rejects(llm().chat({ ...ask, verity: { settlement: 'later' as never } }), 'BAD_REQUEST', 400, /verity\.settlement: expected one of private, batch, individual/)
  await rejects(llm().chat({ ...ask, verity: { settlement: 'individual' } }), 'SETTLEMENT_UNAVAILABLE', 409, /on no chain/)
  const viaHeader = await fetch(`${teeNode.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-verity-settlement': 'individual' }, body: JSON.stringify(ask) })
  assert.equal(viaHeader.status, 409)
})

test('upstream config: NAME=URL or objects; keys from VERITY_LLM_KEY_<NAME>; bad entries name the problem', () => {
  assert.deepEqual(resolveLlmProviders(['open-ai=https://api.example/v1', { name: 'local', baseUrl: 'http://127.0.0.1:8000/v1' }], { 'VERITY_LLM_KEY_OPEN_AI': 'k' }), [
    { name: 'open-ai', baseUrl: 'https://api.example/v1', apiKeyEnv: 'VERITY_LLM_KEY_OPEN_AI' },
    { name: 'local', baseUrl: 'http://127.0.0.1:8000/v1' },
  ])
  const refused = (spec: unknown, pattern: RegExp) => assert.throws(() => resolveLlmProviders([spec as string], {}), (e: unknown) => e instanceof VerityError && e.code === 'BAD_REQUEST' && pattern.test(e.message))
  refused('no-url', /expected NAME=BASE_URL/)
  refused('=http://x', /expected NAME=BASE_URL/)
  refused('Big Name=http://x', /expected \[a-z0-9._-\]\+/)
  refused('ok=not a url', /is not a URL/)
  refused(42, /expected "NAME=BASE_URL" or \{ name, baseUrl \}/)
})

test('a client that leaves mid-stream stops the upstream call; nothing is signed; the node keeps serving', async () => {
  const receipts = await teeNode.receipts.count()
  upstream.push({ sse: [chunk({ role: 'assistant', content: 'one' }), ...Array.from({ length: 50 }, () => chunk({ content: ' more' })), chunk({}, 'stop')], gapMs: 50 })
  const controller = new AbortController()
  const response = await fetch(`${teeNode.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...ask, stream: true }), signal: controller.signal })
  const reader = response.body!.getReader()
  await reader.read()
  controller.abort()
  // Had the node kept reading the upstream, the stream (52 events, 50 ms apart) would have ended and been signed by now.
  await new Promise((r) => setTimeout(r, 3500))
  assert.equal(await teeNode.receipts.count(), receipts, 'no receipt for an answer nobody received in full')
  upstream.push({ json: completion('fine') })
  assert.ok((await llm().chat(ask)).verification.ok)
})
