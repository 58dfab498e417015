import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startNode, type RunningNode } from '@verity/node'
import { createMemoryClient, NodeRequestError } from '@verity/sdk'
import { runVerity } from './testing.ts'

const bin = fileURLToPath(new URL('../bin/verity.js', import.meta.url))
let dir: string
let node: RunningNode

async function verity(args: string[], env: Record<string, string> = {}) {
  return runVerity(args, { cwd: dir, env: { ...process.env, VERITY_NODE: node.url, ...env } })
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'verity-memory-'))
  node = await startNode({ dataDir: join(dir, '.verity'), port: 0, workers: 1, logLevel: 'silent', memoryEmbedder: 'hashing' })
})
after(async () => {
  await node?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('the node writes an admin key (0600) and serves memory: add, search with sources, signed log, scoped keys, isolation, erase', async () => {
  assert.equal(node.adminKeyPath, join(dir, '.verity', 'admin.key'))
  assert.equal(statSync(node.adminKeyPath!).mode & 0o777, 0o600)
  const add = await verity(['memory', 'add', '--user', 'alice', '--message', 'I moved to Lisbon in May and started learning Portuguese', '--message', 'My sister Ana lives in Porto', '--wait'])
  assert.equal(add.code, 0, add.stderr)
  const found = await verity(['memory', 'search', '--user', 'alice', 'where', 'does', 'she', 'live', '--json'])
  assert.equal(found.code, 0, found.stderr)
  const hits = JSON.parse(found.stdout).memories as Array<{ text: string; sources: string[] }>
  assert.ok(hits.some((m) => /Lisbon/.test(m.text) && m.sources.length > 0), 'the Lisbon memory comes back with its sources')
  const log = await verity(['memory', 'log', '--user', 'alice'])
  assert.equal(log.code, 0, log.stdout + log.stderr)
  assert.match(log.stdout, /The log verifies end to end: \d+ entries/)

  const keyOut = await verity(['memory', 'key', 'create', '--user', 'bob', '--scopes', 'memories:read,memories:write', '--json'])
  assert.equal(keyOut.code, 0, keyOut.stderr)
  const bobKey = JSON.parse(keyOut.stdout).key as string
  const bob = createMemoryClient({ url: node.url, apiKey: bobKey })
  await bob.add({ messages: [{ role: 'user', content: 'I play the cello on Sundays' }] }, { wait: true })
  assert.equal((await bob.list()).memories.length > 0, true)
  const aliceId = hits[0]!.text ? (await createMemoryClient({ url: node.url, apiKey: readFileSync(node.adminKeyPath!, 'utf8').trim() }).list({ user_id: 'alice' })).memories[0]!.id : ''
  await assert.rejects(bob.get(aliceId), (e: unknown) => e instanceof NodeRequestError && e.status === 404, "bob cannot read alice's memory by id")
  await assert.rejects(bob.list({ user_id: 'alice' }), (e: unknown) => e instanceof NodeRequestError && e.status === 403)
  await assert.rejects(createMemoryClient({ url: node.url, apiKey: 'vmk_wrong' }).list(), (e: unknown) => e instanceof NodeRequestError && e.status === 401)

  const erase = await verity(['memory', 'erase-user', 'alice'])
  assert.equal(erase.code, 0, erase.stderr)
  const after = await verity(['memory', 'search', '--user', 'alice', 'Lisbon', '--json'])
  assert.deepEqual(JSON.parse(after.stdout).memories, [])
  const tomb = await verity(['memory', 'log', '--user', 'alice'])
  assert.equal(tomb.code, 0, 'the log still verifies after erasure (tombstone)')
})
