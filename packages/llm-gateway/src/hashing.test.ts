import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { canonicalJson } from '@verity/protocol'
import { canonicalOutput, canonicalRequest, hashOutput, hashRequest, llmModelDigest } from './hashing.ts'
import type { ChatCompletionRequest } from './types.ts'

const sha = (s: string) => `0x${createHash('sha256').update(s, 'utf8').digest('hex')}`

// Frozen vectors: a change here is a protocol change (bump the domain strings).
const REQUEST: ChatCompletionRequest = { model: 'acme/small-model', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'What is 2+2?' }], temperature: 0, seed: 7 }
const REQUEST_JSON = '{"messages":[{"content":"Be brief.","role":"system"},{"content":"What is 2+2?","role":"user"}],"model":"acme/small-model","seed":7,"temperature":0}'
const REQUEST_HASH = '0xead79f28af4c579d20190f150c32920e2aa0bf54aa579b8ab96f7135520d4b0c'
const TEXT_OUTPUT = { model: 'acme/small-model', choices: [{ index: 0, message: { role: 'assistant' as const, content: '4' }, finish_reason: 'stop' }] }
const TEXT_OUTPUT_JSON = '{"choices":[{"finish_reason":"stop","index":0,"message":{"content":"4","role":"assistant"}}],"model":"acme/small-model"}'
const TEXT_OUTPUT_HASH = '0x84e7bc6f0431f073de56a12d3ee3803461ea64b1b28fc1383c510a814bc0d5a6'
const TOOL_OUTPUT = {
  model: 'acme/small-model',
  choices: [{ index: 0, message: { role: 'assistant' as const, content: null, tool_calls: [{ id: 'call_1', type: 'function' as const, function: { name: 'add', arguments: '{"a":2,"b":2}' } }] }, finish_reason: 'tool_calls' }],
}
const TOOL_OUTPUT_HASH = '0x4b87f419a77f6b3df0ca04f09c6356c3490166cb49ac7e288ffd7f8adbccbbbe'

test('request hash vector, with its preimage', () => {
  assert.equal(canonicalJson(canonicalRequest(REQUEST)), REQUEST_JSON)
  assert.equal(hashRequest(REQUEST), REQUEST_HASH)
  assert.equal(sha(`verity-llm-request-v1\n${REQUEST_JSON}`), REQUEST_HASH)
})

test('stream flags and key order do not change the request hash; content does', () => {
  assert.equal(hashRequest({ ...REQUEST, stream: true, stream_options: { include_usage: true } }), REQUEST_HASH)
  assert.equal(hashRequest({ ...REQUEST, verity: { settlement: 'private' } }), REQUEST_HASH)
  assert.equal(hashRequest({ seed: 7, temperature: 0, messages: REQUEST.messages, model: REQUEST.model }), REQUEST_HASH)
  assert.notEqual(hashRequest({ ...REQUEST, temperature: 0.1 }), REQUEST_HASH)
  assert.notEqual(hashRequest({ ...REQUEST, model: 'other/small-model' }), REQUEST_HASH)
})

test('output hash vectors (text and tool calls), with the preimage', () => {
  assert.equal(canonicalJson(canonicalOutput(TEXT_OUTPUT)), TEXT_OUTPUT_JSON)
  assert.equal(hashOutput(TEXT_OUTPUT), TEXT_OUTPUT_HASH)
  assert.equal(sha(`verity-llm-output-v1\n${TEXT_OUTPUT_JSON}`), TEXT_OUTPUT_HASH)
  assert.equal(hashOutput(TOOL_OUTPUT), TOOL_OUTPUT_HASH)
})

test('volatile fields are ignored; answers, finish reasons and tool arguments are not', () => {
  assert.equal(hashOutput({ ...TEXT_OUTPUT, id: 'x', created: 1, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } } as never), TEXT_OUTPUT_HASH)
  assert.notEqual(hashOutput({ ...TEXT_OUTPUT, choices: [{ ...TEXT_OUTPUT.choices[0]!, finish_reason: 'length' }] }), TEXT_OUTPUT_HASH)
  const args = structuredClone(TOOL_OUTPUT)
  args.choices[0]!.message.tool_calls[0]!.function.arguments = '{"a":2,"b":3}'
  assert.notEqual(hashOutput(args), TOOL_OUTPUT_HASH)
})

test('LLM model digest', () => {
  assert.equal(llmModelDigest('acme/small-model'), '0x79162fe911c7b5d743b42717f337388f322a0a35ca52573dece14c6802914be3')
  assert.equal(llmModelDigest('acme/small-model'), sha('verity-llm-model-v1\nacme/small-model'))
})
