import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as memory from './index.ts'

test('public API (snapshot: changes here are API changes)', () => {
  assert.deepEqual(Object.keys(memory).sort(), [
    'categories', 'contentHash', 'createAuth', 'createHashingEmbedder', 'createLocalSigner', 'createMemoryService', 'createMemoryStore', 'createOpenAiLlm',
    'createSentenceEncoder', 'defaultRetrievalOptions', 'defaultSegmentOptions', 'ensureAdminKey', 'hashLogEntry', 'limits', 'LlmError', 'logSubject',
    'recoverLogSigner', 'redactUrl', 'resolveTimeExpressions', 'scopes', 'segmentMessages', 'sourcesHash', 'verifyMemoryLog',
  ].sort())
})
