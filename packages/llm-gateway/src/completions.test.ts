import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { canonicalJson, VerityError } from '@verity/protocol'
import { chatChunkToCompletionChunk, chatToCompletionResponse, completionToChatRequest, completionToChatResponse } from './completions.ts'
import { canonicalRequest, hashOutput, hashRequest } from './hashing.ts'

// Frozen vectors: a completion hashes as the chat request it is served as (preimage below); its
// answer "4" has the output hash of the chat answer "4" in hashing.test.ts.
const COMPLETION = { model: 'acme/small-model', prompt: 'What is 2+2?', temperature: 0, seed: 7 }
const CHAT_REQUEST_JSON = '{"messages":[{"content":"What is 2+2?","role":"user"}],"model":"acme/small-model","seed":7,"temperature":0}'
const CHAT_REQUEST_HASH = '0xacf117ab37c53199182b1b91924e8c5ebb309a267971dddaead74ad0afddd38e'
const TEXT_OUTPUT_HASH = '0x84e7bc6f0431f073de56a12d3ee3803461ea64b1b28fc1383c510a814bc0d5a6'

test('a completion request is served as one user turn; its hash is that chat request\'s hash', () => {
  const chat = completionToChatRequest(COMPLETION)
  assert.deepEqual(chat, { model: 'acme/small-model', messages: [{ role: 'user', content: 'What is 2+2?' }], temperature: 0, seed: 7 })
  assert.equal(hashRequest(chat), CHAT_REQUEST_HASH)
  assert.equal(canonicalJson(canonicalRequest(chat)), CHAT_REQUEST_JSON)
  assert.equal(`0x${createHash('sha256').update(`verity-llm-request-v1\n${CHAT_REQUEST_JSON}`).digest('hex')}`, CHAT_REQUEST_HASH)
  assert.equal(hashRequest(completionToChatRequest({ ...COMPLETION, prompt: ['What is 2+2?'], stream: true, verity: { settlement: 'private' } })), CHAT_REQUEST_HASH)
  assert.notEqual(hashRequest(completionToChatRequest({ ...COMPLETION, prompt: 'What is 2+3?' })), CHAT_REQUEST_HASH)
})

test('the answer maps text <-> content and hashes as the chat answer', () => {
  const chat = { id: 'c1', object: 'chat.completion' as const, created: 1, model: 'acme/small-model', choices: [{ index: 0, message: { role: 'assistant' as const, content: '4' }, finish_reason: 'stop' }] }
  const completion = chatToCompletionResponse(chat)
  assert.deepEqual(completion, { id: 'c1', object: 'text_completion', created: 1, model: 'acme/small-model', choices: [{ index: 0, text: '4', finish_reason: 'stop', logprobs: null }] })
  assert.equal(hashOutput(completionToChatResponse(completion)), TEXT_OUTPUT_HASH)
  assert.notEqual(hashOutput(completionToChatResponse({ ...completion, choices: [{ ...completion.choices[0]!, text: '5' }] })), TEXT_OUTPUT_HASH)
})

test('stream chunks map delta.content to text', () => {
  const chunk = { id: 'c1', object: 'chat.completion.chunk' as const, created: 1, model: 'm/x', choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }] }
  assert.deepEqual(chatChunkToCompletionChunk(chunk).choices, [{ index: 0, text: 'Hel', finish_reason: null, logprobs: null }])
  assert.deepEqual(chatChunkToCompletionChunk({ ...chunk, choices: [] }).choices, [])
})

test('forms chat cannot express are refused, naming the field', () => {
  const refused = (value: unknown, field: string) => assert.throws(() => completionToChatRequest(value), (e: unknown) => e instanceof VerityError && e.code === 'BAD_REQUEST' && e.details.field === field)
  refused({ model: 'a/b', prompt: [1, 2, 3] }, 'prompt')
  refused({ model: 'a/b', prompt: ['one', 'two'] }, 'prompt')
  refused({ model: 'a/b' }, 'prompt')
  refused({ model: 'a/b', prompt: 'x', echo: true }, 'echo')
  refused({ model: 'a/b', prompt: 'x', suffix: 'y' }, 'suffix')
  refused({ model: 'a/b', prompt: 'x', logprobs: 3 }, 'logprobs')
  refused({ model: 'a/b', prompt: 'x', messages: [] }, 'messages')
  refused('prompt', 'body')
  assert.doesNotThrow(() => completionToChatRequest({ model: 'a/b', prompt: 'x', echo: false, best_of: 1, logprobs: null }))
})
