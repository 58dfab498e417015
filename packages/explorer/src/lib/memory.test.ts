import { test } from 'node:test'
import assert from 'node:assert/strict'
import { contentHash, createLocalSigner, hashLogEntry, logSubject, sourcesHash, ZERO_HASH, type LogEntry, type SignedLogEntry } from '@verity/memory/log'
import { hexToBytes, type Hex } from '@verity/protocol'
import { verifyMemoryView, type MemoryItemJson } from './memory.ts'

const signer = createLocalSigner(`0x${'22'.repeat(32)}`)
const other = createLocalSigner(`0x${'33'.repeat(32)}`)
const memory: MemoryItemJson = { id: 'mem_1', text: 'Alice lives in Lisbon', categories: ['identity'], type: 'semantic', importance: 0.5, event_time: '2024-05-08T00:00:00.000Z', record_time: '2024-05-08T00:00:00.000Z', sources: ['m1'], extractor: 'segmenter', agent_id: null, thread_id: null }

async function buildLog(by = signer): Promise<SignedLogEntry[]> {
  const out: SignedLogEntry[] = []
  let prev: Hex = ZERO_HASH
  for (const [seq, op] of (['create', 'reinforce'] as const).entries()) {
    const entry: LogEntry = { v: 1, subject: logSubject('alice'), seq, prev, op, memory_id: 'mem_1', content_hash: contentHash(memory), sources_hash: sourcesHash(memory.sources), at: `2024-05-08T10:00:0${seq}.000Z` }
    const hash = hashLogEntry(entry)
    out.push({ entry, hash, signature: await by.sign(hexToBytes(hash)) })
    prev = hash
  }
  return out
}

test('a genuine log and matching memories verify', async () => {
  const v = verifyMemoryView({ userId: 'alice', memories: [memory], messages: [], log: await buildLog(), logNode: signer.address }, signer.address)
  assert.equal(v.status, 'verified')
  assert.deepEqual(v.entries.map((e) => e.status), ['pass', 'pass'])
  assert.match(v.memories[0]!.message, /log entry 1 \(reinforce\)/)
})

test('an altered entry, a foreign signer and an edited memory each fail, naming what is wrong', async () => {
  const log = await buildLog()
  log[1]!.entry.at = '2030-01-01T00:00:00.000Z'
  const altered = verifyMemoryView({ userId: 'alice', memories: [memory], messages: [], log, logNode: signer.address }, signer.address)
  assert.equal(altered.status, 'failed')
  assert.match(altered.checks[0]!.message, /entry 1 hash mismatch/)
  assert.deepEqual(altered.entries.map((e) => e.status), ['pass', 'fail'])

  const foreign = verifyMemoryView({ userId: 'alice', memories: [memory], messages: [], log: await buildLog(other), logNode: other.address }, signer.address)
  assert.deepEqual(foreign.checks.map((c) => `${c.id}:${c.status}`), ['log-chain:pass', 'log-signer:fail', 'memories:pass'])

  const edited = verifyMemoryView({ userId: 'alice', memories: [{ ...memory, text: 'Alice lives in Porto' }], messages: [], log: await buildLog(), logNode: signer.address }, signer.address)
  assert.equal(edited.checks.find((c) => c.id === 'memories')!.status, 'fail')
  assert.match(edited.memories[0]!.message, /changed outside the log/)
  const unlogged = verifyMemoryView({ userId: 'alice', memories: [{ ...memory, id: 'mem_2' }], messages: [], log: await buildLog(), logNode: signer.address }, signer.address)
  assert.match(unlogged.memories[0]!.message, /No log entry records this memory/)
})
