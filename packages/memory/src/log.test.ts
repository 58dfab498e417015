import { test } from 'node:test'
import assert from 'node:assert/strict'
import { canonicalJson } from '@verity/protocol'
import { keccak256, recoverAddress, stringToBytes } from 'viem'
import { contentHash, createLocalSigner, hashLogEntry, logSubject, sourcesHash, verifyMemoryLog, ZERO_HASH, type LogEntry, type SignedLogEntry } from './log.ts'

// Test vector (docs: log.ts). Private key 0x11…11; pinned so any change to the encoding shows up here.
const key = `0x${'11'.repeat(32)}` as const
const vector = {
  address: '0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A',
  entry: {
    v: 1,
    subject: '0xe077bc4fd0efd10ddafe5f1746998e5e3916767c44d21bef93c7439627836bf9',
    seq: 0,
    prev: '0x0000000000000000000000000000000000000000000000000000000000000000',
    op: 'create',
    memory_id: 'mem_1',
    content_hash: '0xda34aa3b426aefae9f595f9323f9db77d03659130ce33bd30f0a73ea25e0b66b',
    sources_hash: '0xf59f590c9651e3e0722255c0c277ea23ede1b1382438af813382ab2c1d16ca77',
    at: '2024-05-08T10:00:00.000Z',
  } as LogEntry,
  hash: '0x1cd7b57e27330221edc4eba2a401066d4361f8435dfeb5aecf650587cec66a5a',
  signature: '0xa07a737933a620e43e00201f68ea4b041072eff7e9e8df902eaf91160a484eee03e0979cc834fd9fd73ca844aff60486c921765b90306e213d20efebb484db9a1c',
} as const

test('log entry encoding matches the pinned vector', async () => {
  const signer = createLocalSigner(key)
  assert.equal(signer.address, vector.address)
  assert.equal(logSubject('alice'), vector.entry.subject)
  assert.equal(contentHash({ text: 'Alice lives in Lisbon', categories: ['identity'], type: 'semantic', event_time: '2024-05-08T00:00:00.000Z' }), vector.entry.content_hash)
  assert.equal(sourcesHash(['m1', 'm2']), vector.entry.sources_hash)
  assert.equal(hashLogEntry(vector.entry), vector.hash)
  assert.equal(await signer.sign(Buffer.from(vector.hash.slice(2), 'hex')), vector.signature)
})

test('a second implementation (viem) agrees on hash and signer', async () => {
  assert.equal(keccak256(stringToBytes(canonicalJson(vector.entry))), vector.hash)
  assert.equal(await recoverAddress({ hash: vector.hash, signature: vector.signature }), vector.address)
})

async function chain(n: number): Promise<SignedLogEntry[]> {
  const signer = createLocalSigner(key)
  const out: SignedLogEntry[] = []
  let prev = ZERO_HASH
  for (let seq = 0; seq < n; seq++) {
    const entry: LogEntry = { ...vector.entry, seq, prev, memory_id: `mem_${seq}`, op: seq === n - 1 ? 'erase' : 'create' }
    const hash = hashLogEntry(entry)
    out.push({ entry, hash, signature: await signer.sign(Buffer.from(hash.slice(2), 'hex')) })
    prev = hash
  }
  return out
}

test('verifyMemoryLog accepts a whole chain and rejects each kind of tampering', async () => {
  const log = await chain(4)
  assert.deepEqual(verifyMemoryLog(log, vector.address), { ok: true, entries: 4, head: log[3]!.hash })
  assert.equal(verifyMemoryLog([], vector.address).ok, true)
  const other = createLocalSigner(`0x${'22'.repeat(32)}`)
  assert.match(JSON.stringify(verifyMemoryLog(log, other.address)), /not signed by/)
  const altered = structuredClone(log)
  altered[1]!.entry.content_hash = ZERO_HASH
  assert.deepEqual(verifyMemoryLog(altered, vector.address), { ok: false, seq: 1, reason: 'entry 1 hash mismatch: content was altered' })
  const dropped = [log[0]!, log[2]!, log[3]!]
  assert.equal((verifyMemoryLog(dropped, vector.address) as { seq: number }).seq, 1)
  const relinked = structuredClone(log)
  relinked[2]!.entry.prev = log[0]!.hash
  relinked[2]!.hash = hashLogEntry(relinked[2]!.entry)
  assert.match((verifyMemoryLog(relinked, vector.address) as { reason: string }).reason, /does not link/)
  const badSig = structuredClone(log)
  badSig[0]!.signature = `0x${'00'.repeat(65)}`
  assert.equal(verifyMemoryLog(badSig, vector.address).ok, false)
})
