import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as gateway from './index.ts'

test('public API snapshot', () => {
  assert.deepEqual(Object.keys(gateway).sort(), [
    'ChunkAssembler', 'MODEL_DIGEST_DOMAIN', 'OUTPUT_HASH_DOMAIN', 'REQUEST_HASH_DOMAIN', 'assertChatCompletionRequest', 'buildReceiptFields',
    'canonicalOutput', 'canonicalRequest', 'chatChunkToCompletionChunk', 'chatToCompletionResponse', 'completionToChatRequest', 'completionToChatResponse',
    'createLlmGateway', 'hashOutput', 'hashRequest', 'llmModelDigest', 'takeSseEvents', 'verifyLlmReceipt',
  ])
})
