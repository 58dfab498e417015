import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { generatePrivateKey, VerityError } from '@verity/protocol'
import { createMemoryService, type MemoryService } from './service.ts'
import { createHashingEmbedder } from './embedder.ts'
import { createLocalSigner, verifyMemoryLog } from './log.ts'
import { createOpenAiLlm } from './llm.ts'
import { userTables } from './schema.ts'
import type { MemoryStore } from './store.ts'
import { backends } from './testing/backends.ts'
import { startScriptedLlm } from './testing/llmServer.ts'

const signer = createLocalSigner(generatePrivateKey())
const embedder = createHashingEmbedder(128)

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof VerityError, `expected VerityError, got ${String(e)}`)
    assert.equal(e.code, code)
    if (message !== undefined) assert.match(e.message, message)
    return true
  })
}

const conversation = [
  { id: 'c1', role: 'user', name: 'Alice', content: 'I adopted a golden retriever called Biscuit last Saturday', timestamp: '2024-05-08T10:00:00Z' },
  { id: 'c2', role: 'assistant', content: 'Congratulations on Biscuit! How is the training going?', timestamp: '2024-05-08T10:01:00Z' },
  { id: 'c3', role: 'user', name: 'Alice', content: 'My sister Carol lives in Porto and works as a nurse', timestamp: '2024-05-08T10:02:00Z' },
]

for (const backend of await backends()) {
  describe(`memory service on ${backend.name}`, { skip: backend.skip }, () => {
    let store: MemoryStore
    let cleanup: () => Promise<void>
    let service: MemoryService
    before(async () => {
      ;({ store, cleanup } = await backend.open())
      // PGlite ships pgvector: its suite runs dense retrieval there (isolation, updates, erase-user included);
      // the PostgreSQL used here has no pgvector, so its suite runs the in-process fallback ('auto').
      service = createMemoryService({ store, embedder, signer, vectorIndex: backend.name === 'pglite' ? 'pgvector' : 'auto' })
    })
    after(async () => {
      await service?.close()
      await cleanup?.()
    })

    test('stores messages, segments them with provenance, finds them', async () => {
      const res = await service.add({ user_id: 'alice', messages: conversation, thread_id: 't1' })
      assert.equal(res.status, 'queued')
      assert.deepEqual(res.message_ids, ['c1', 'c2', 'c3'])
      await service.flush('alice')
      const { memories } = await service.search({ user_id: 'alice', query: 'Where does Carol live?', limit: 3 })
      assert.ok(memories.length > 0)
      assert.ok(memories[0]!.sources.includes('c3'), JSON.stringify(memories[0]))
      assert.equal(memories[0]!.extractor, 'segmenter')
      assert.equal(memories[0]!.thread_id, 't1')
      // windows of consecutive turns: the unit ending at c3 covers c1..c3 (same thread, minutes apart)
      const all = await service.list({ user_id: 'alice' })
      assert.deepEqual(all.memories.map((m) => m.sources).sort((a, b) => a.length - b.length), [['c1'], ['c1', 'c2'], ['c1', 'c2', 'c3']])
      // relative dates resolved against the message time: "last Saturday" before Wed 8 May 2024 is 4 May
      const saturday = await service.search({ user_id: 'alice', query: 'what happened on 4 May 2024', limit: 1 })
      assert.ok(saturday.memories[0]!.sources.includes('c1'))
      // re-sending the same ids is idempotent
      assert.equal((await service.add({ user_id: 'alice', messages: conversation })).status, 'duplicate')
    })

    test('as_of hides what was recorded later; filters by thread and category', async () => {
      assert.equal((await service.search({ user_id: 'alice', query: 'Biscuit', as_of: '2020-01-01T00:00:00Z' })).memories.length, 0)
      assert.equal((await service.search({ user_id: 'alice', query: 'Biscuit', thread_id: 'other' })).memories.length, 0)
      const rel = await service.search({ user_id: 'alice', query: 'sister', categories: ['relationships'] })
      assert.ok(rel.memories.every((m) => m.categories.includes('relationships')))
    })

    test('a query asking about now favours the most recent memory', async () => {
      await service.add({ user_id: 'rita', messages: [{ id: 'r1', role: 'user', content: 'I work as a baker in Porto', timestamp: '2023-01-10T10:00:00Z' }] })
      await service.add({ user_id: 'rita', messages: [{ id: 'r2', role: 'user', content: 'I work as a pilot based in Porto', timestamp: '2023-09-10T10:00:00Z' }] })
      await service.flush('rita')
      assert.deepEqual((await service.search({ user_id: 'rita', query: 'What is my work in Porto currently?', limit: 1 })).memories[0]!.sources, ['r2'])
      assert.deepEqual((await service.search({ user_id: 'rita', query: 'What was my work in Porto in January 2023?', limit: 1 })).memories[0]!.sources, ['r1'])
    })

    test('user B cannot read, search, update or delete user A memories', async () => {
      const [mine] = (await service.list({ user_id: 'alice', limit: 1 })).memories
      await rejectsWith(service.get({ user_id: 'bob', id: mine!.id }), 'NOT_FOUND')
      await rejectsWith(service.update({ user_id: 'bob', id: mine!.id, text: 'hijacked' }), 'NOT_FOUND')
      await rejectsWith(service.delete({ user_id: 'bob', id: mine!.id }), 'NOT_FOUND')
      await rejectsWith(service.trace({ user_id: 'bob', id: mine!.id }), 'NOT_FOUND')
      assert.deepEqual(await service.deleteMany({ user_id: 'bob', ids: [mine!.id] }), { deleted: [] })
      assert.equal((await service.search({ user_id: 'bob', query: 'Biscuit Carol Porto' })).memories.length, 0)
      assert.equal((await service.list({ user_id: 'bob' })).memories.length, 0)
      assert.equal((await service.export({ user_id: 'bob' })).memories.length, 0)
      assert.equal((await service.get({ user_id: 'alice', id: mine!.id })).text, mine!.text)
    })

    test('update, delete, bulk delete, pagination; each operation logged, signed and traceable', async () => {
      await service.add({ user_id: 'dora', messages: Array.from({ length: 7 }, (_, i) => ({ id: `d${i}`, role: 'user', content: `fact number ${i} about dora's garden`, timestamp: 1_700_000_000_000 + i * 86_400_000 })) })
      await service.flush('dora')
      const p1 = await service.list({ user_id: 'dora', limit: 3 })
      const p2 = await service.list({ user_id: 'dora', limit: 3, cursor: p1.next_cursor! })
      const p3 = await service.list({ user_id: 'dora', limit: 3, cursor: p2.next_cursor! })
      assert.equal(p3.next_cursor, null)
      const ids = [...p1.memories, ...p2.memories, ...p3.memories].map((m) => m.id)
      assert.equal(new Set(ids).size, 7)
      const updated = await service.update({ user_id: 'dora', id: ids[0]!, text: 'Dora grows tomatoes', categories: ['interests'], importance: 0.9 })
      assert.equal(updated.text, 'Dora grows tomatoes')
      assert.equal((await service.search({ user_id: 'dora', query: 'tomatoes', limit: 1 })).memories[0]!.id, ids[0])
      await service.delete({ user_id: 'dora', id: ids[1]! })
      await rejectsWith(service.get({ user_id: 'dora', id: ids[1]! }), 'NOT_FOUND')
      assert.deepEqual((await service.deleteMany({ user_id: 'dora', ids: [ids[2]!, ids[3]!, 'nope'] })).deleted.sort(), [ids[2]!, ids[3]!].sort())
      const t = await service.trace({ user_id: 'dora', id: ids[0]! })
      assert.deepEqual(t.messages.map((m) => m.id), t.memory.sources)
      assert.deepEqual(t.operations.map((o) => o.entry.op), ['create', 'update'])
      const log = await service.getLog({ user_id: 'dora' })
      assert.deepEqual(log.map((e) => e.entry.op), [...Array(7).fill('create'), 'update', 'delete', 'delete', 'delete'])
      assert.equal(verifyMemoryLog(log, signer.address).ok, true)
      const profile = await service.getProfile({ user_id: 'dora' })
      assert.equal(profile.memory_count, 4)
      assert.equal(profile.generator, 'heuristic')
      assert.ok(profile.categories.some((c) => c.category === 'interests' && c.summary.includes('tomatoes')))
    })

    test('dense retrieval through pgvector (when the database has it) ranks like the in-process index', async () => {
      if (backend.name === 'pglite') assert.equal(store.pgvector, true)
      await service.add({ user_id: 'vera', messages: Array.from({ length: 30 }, (_, i) => ({ id: `v${i}`, role: 'user', content: `note ${i}: ${['tea', 'coffee', 'hiking', 'Lisbon', 'piano', 'taxes'][i % 6]} and ${['Monday', 'rain', 'friends', 'work', 'books'][i % 5]}`, timestamp: Date.UTC(2024, 0, 1 + i) })) })
      await service.flush('vera')
      const inProcess = createMemoryService({ store, embedder, signer, worker: false, vectorIndex: 'in-process' })
      try {
        for (const query of ['coffee on a rainy Monday', 'piano with friends', 'taxes at work']) {
          const [a, b] = await Promise.all([service.search({ user_id: 'vera', query, limit: 5 }), inProcess.search({ user_id: 'vera', query, limit: 5 })])
          assert.deepEqual(a.memories.map((m) => m.id), b.memories.map((m) => m.id), query)
        }
        if (backend.name === 'pglite') {
          const [{ n }] = await store.query<{ n: number }>(`SELECT count(*)::int AS n FROM memory_vectors_${embedder.dimensions} WHERE user_id = 'vera'`) as [{ n: number }]
          assert.equal(n, (await service.list({ user_id: 'vera', limit: 200 })).memories.length)
        }
      } finally {
        await inProcess.close()
      }
    })

    test('search answers from its index exactly what get reads from the database, updates included', async () => {
      const [first] = (await service.search({ user_id: 'vera', query: 'piano', limit: 1 })).memories
      await service.update({ user_id: 'vera', id: first!.id, text: 'piano lessons on Fridays', importance: 0.9, metadata: { teacher: 'Ana' } })
      const { memories } = await service.search({ user_id: 'vera', query: 'piano lessons', limit: 5 })
      assert.ok(memories.some((m) => m.id === first!.id))
      for (const { score, ...m } of memories) assert.deepEqual(m, await service.get({ user_id: 'vera', id: m.id }))
    })

    test('bad input gets clear errors and writes nothing', async () => {
      await rejectsWith(service.add({ user_id: '', messages: conversation }), 'BAD_REQUEST', /user_id is required/)
      await rejectsWith(service.add({ messages: conversation } as never), 'BAD_REQUEST', /user_id/)
      await rejectsWith(service.add({ user_id: 'eve', messages: [] }), 'BAD_REQUEST', /messages must be a non-empty array/)
      await rejectsWith(service.add({ user_id: 'eve', messages: [{ role: 'user', content: 'x'.repeat(40_000) }] }), 'INPUT_TOO_LARGE', /messages\[0\]\.content has 40000 characters/)
      await rejectsWith(service.add({ user_id: 'eve', messages: [{ role: 'user', content: 'ok' }, { role: 'user', content: '' }] }), 'BAD_REQUEST', /messages\[1\]\.content/)
      await rejectsWith(service.add({ user_id: 'eve', messages: [{ role: 'user', content: 'ok', timestamp: 'yesterday-ish' }] }), 'BAD_REQUEST', /timestamp/)
      await rejectsWith(service.search({ user_id: 'eve', query: '' }), 'BAD_REQUEST', /query/)
      await rejectsWith(service.search({ user_id: 'eve', query: 'x', categories: ['gossip' as never] }), 'BAD_REQUEST', /unknown category "gossip"/)
      await rejectsWith(service.list({ user_id: 'eve', cursor: 'garbage' }), 'BAD_REQUEST', /cursor/)
      assert.equal((await service.export({ user_id: 'eve' })).messages.length, 0)
    })

    test('erase-user leaves no trace in any table or index, and a verifiable tombstone in the log', async () => {
      const secret = 'Zanzibar-treasure-map-7731'
      await service.add({ user_id: 'zed', messages: [{ id: 'zmsg-1', role: 'user', content: `my secret is ${secret}` }, { id: 'zmsg-2', role: 'user', content: 'nothing else' }] })
      await service.flush('zed')
      assert.equal((await service.search({ user_id: 'zed', query: secret })).memories.length > 0, true)
      await service.getProfile({ user_id: 'zed' })
      const before = (await service.getLog({ user_id: 'zed' })).length
      const res = await service.eraseUser({ user_id: 'zed' })
      assert.equal(res.erased, true)
      // Every memory table, including this embedder's pgvector table when the store has pgvector.
      const tables = (await store.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'memory\\_%'")).map((r) => r.table_name)
      for (const t of [...userTables, 'memory_log']) assert.ok(tables.includes(t), `${t} missing from ${tables.join(', ')}`)
      if (backend.name === 'pglite') assert.ok(tables.includes(`memory_vectors_${embedder.dimensions}`))
      for (const table of tables) {
        const dump = JSON.stringify(await store.query(`SELECT * FROM ${table}`), (_k, v) => (v instanceof Uint8Array ? '' : v))
        for (const needle of [secret, 'zmsg-1', '"zed"']) assert.ok(!dump.includes(needle), `${needle} left in ${table}`)
      }
      assert.equal((await service.search({ user_id: 'zed', query: secret })).memories.length, 0)
      const log = await service.getLog({ user_id: 'zed' })
      assert.equal(log.length, before + 1)
      assert.equal(log.at(-1)!.entry.op, 'erase')
      assert.equal(log.at(-1)!.hash, res.log_head)
      assert.equal(verifyMemoryLog(log, signer.address).ok, true)
      // alice is untouched
      assert.ok((await service.list({ user_id: 'alice' })).memories.length > 0)
    })
  })
}

describe('LLM extraction (scripted OpenAI-compatible server on 127.0.0.1)', () => {
  test('extracts memories, then REINFORCE/UPDATE decisions against similar ones', async () => {
    const llm = await startScriptedLlm((body) => {
      const schema = (body.response_format as { json_schema: { name: string } }).json_schema.name
      const user = (body.messages as { content: string }[])[1]!.content
      if (schema === 'memories') {
        if (user.includes('[m1]')) return { content: JSON.stringify({ memories: [{ text: 'Alice lives in Lisbon', categories: ['identity'], type: 'semantic', importance: 0.8, event_time: null, source_ids: ['m1'] }] }) }
        return { content: JSON.stringify({ memories: [{ text: 'Alice lives in Porto now', categories: ['identity'], type: 'semantic', importance: 0.9, event_time: null, source_ids: ['m2'] }] }) }
      }
      if (schema === 'profile') return { content: JSON.stringify({ bio: 'Alice lives in Porto.', categories: [{ category: 'identity', summary: 'Lives in Porto, moved from Lisbon.' }] }) }
      const id = /\[(mem_[0-9a-f]+)\]/.exec(user)![1]
      return { content: JSON.stringify({ action: 'UPDATE', target_id: id, text: 'Alice moved from Lisbon to Porto' }) }
    })
    const store = await (await backends())[0]!.open()
    const service = createMemoryService({ store: store.store, embedder, signer, llm: createOpenAiLlm({ baseUrl: llm.url, model: 'scripted', retries: 0 }) })
    try {
      await service.add({ user_id: 'u', messages: [{ id: 'm1', role: 'user', content: 'I live in Lisbon' }] })
      await service.flush('u')
      await service.add({ user_id: 'u', messages: [{ id: 'm2', role: 'user', content: 'I just moved to Porto' }] })
      await service.flush('u')
      const llmMemories = (await service.list({ user_id: 'u' })).memories.filter((m) => m.extractor === 'llm')
      assert.equal(llmMemories.length, 1)
      assert.equal(llmMemories[0]!.text, 'Alice moved from Lisbon to Porto')
      assert.deepEqual(llmMemories[0]!.sources, ['m1', 'm2'])
      const t = await service.trace({ user_id: 'u', id: llmMemories[0]!.id })
      assert.deepEqual(t.operations.map((o) => o.entry.op), ['create', 'update'])
      assert.equal((await service.verifyLog({ user_id: 'u' })).ok, true)
      assert.equal((llm.requests[0]!.body.response_format as { type: string }).type, 'json_schema')
      const profile = await service.getProfile({ user_id: 'u' })
      assert.equal(profile.generator, 'llm')
      assert.equal(profile.bio, 'Alice lives in Porto.')
      assert.deepEqual(profile.categories.map((c) => [c.category, c.memory_count]), [['identity', 1]])
      const calls = llm.requests.length
      await service.getProfile({ user_id: 'u' })
      assert.equal(llm.requests.length, calls, 'profile is cached until memories change')
    } finally {
      await service.close()
      await store.cleanup()
      await llm.close()
    }
  })

  test('bad model output (invalid JSON, wrong schema, HTTP 500, timeout) is retried, then falls back without corrupting state', async () => {
    const replies = [{ content: 'not json {' }, { content: JSON.stringify({ memories: [{ text: 'x', source_ids: ['nope'] }] }) }, { status: 500 }, { delayMs: 2_000, content: '{}' }]
    const llm = await startScriptedLlm((_b, n) => replies[n % replies.length]!)
    const store = await (await backends())[0]!.open()
    const service = createMemoryService({ store: store.store, embedder, signer, llm: createOpenAiLlm({ baseUrl: llm.url, model: 'scripted', retries: 3, timeoutMs: 300 }) })
    try {
      await service.add({ user_id: 'u', messages: [{ id: 'm1', role: 'user', content: 'I live in Lisbon' }] })
      await service.flush('u')
      assert.equal(llm.requests.length, 4)
      const { memories } = await service.list({ user_id: 'u' })
      assert.deepEqual(memories.map((m) => [m.extractor, m.sources]), [['segmenter', ['m1']]])
      const [job] = await store.store.query<{ state: string; last_error: string }>('SELECT state, last_error FROM memory_jobs')
      assert.equal(job!.state, 'done')
      assert.match(job!.last_error, /no valid memories after 4 attempts: timeout/)
      assert.equal((await service.verifyLog({ user_id: 'u' })).ok, true)
    } finally {
      await service.close()
      await store.cleanup()
      await llm.close()
    }
  })
})

for (const backend of await backends()) {
  test(`restart in the middle of extraction loses nothing and duplicates nothing (${backend.name})`, { skip: backend.skip }, async () => {
    let slow = true
    const llm = await startScriptedLlm(() => ({
      delayMs: slow ? 400 : 0,
      content: JSON.stringify({ memories: [{ text: 'Alice likes tea', categories: ['interests'], type: 'semantic', importance: 0.5, event_time: null, source_ids: ['m1'] }] }),
    }))
    const { mkdtempSync, rmSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { createMemoryStore } = await import('./store.ts')
    const dir = mkdtempSync(join(tmpdir(), 'verity-memory-restart-'))
    const opened = backend.name === 'pglite' ? null : await backend.open()
    const open = async () => (opened === null ? createMemoryStore({ dataDir: dir }) : opened.store)
    const make = (store: MemoryStore) => createMemoryService({ store, embedder, signer, jobLeaseMs: 300, llm: createOpenAiLlm({ baseUrl: llm.url, model: 'scripted', retries: 0 }) })
    try {
      let store = await open()
      let service = make(store)
      await service.add({ user_id: 'u', messages: [{ id: 'm1', role: 'user', content: 'I like tea' }] })
      await service.add({ user_id: 'u', messages: [{ id: 'm2', role: 'user', content: 'and biscuits' }] })
      while (llm.requests.length === 0) await new Promise((r) => setTimeout(r, 10))
      await service.close() // the service stops while the first job waits for the model
      assert.equal((await store.query<{ n: number }>('SELECT count(*)::int AS n FROM memory_items'))[0]!.n, 0)
      if (opened === null) {
        await store.close()
        store = await open()
      }
      slow = false
      service = make(store)
      await service.flush()
      const { memories } = await service.list({ user_id: 'u' })
      // m2's job gets the same scripted answer citing m1, which is not among that job's messages: rejected, segments only
      assert.deepEqual(memories.map((m) => `${m.extractor}:${m.sources.join(',')}`).sort(), ['llm:m1', 'segmenter:m1', 'segmenter:m1,m2'])
      const log = await service.getLog({ user_id: 'u' })
      assert.equal(log.filter((e) => e.entry.op === 'create').length, memories.length)
      assert.equal(new Set(memories.map((m) => m.id)).size, memories.length)
      assert.equal((await service.verifyLog({ user_id: 'u' })).ok, true)
      await service.close()
      if (opened === null) await store.close()
    } finally {
      await opened?.cleanup()
      await llm.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
}

for (const backend of await backends()) {
  if (backend.name !== 'postgres') continue
  test('two services sharing one PostgreSQL split the queue without duplicates, keeping each user in order', { skip: backend.skip }, async () => {
    const { store, cleanup } = await backend.open()
    const a = createMemoryService({ store, embedder, signer })
    const b = createMemoryService({ store, embedder, signer })
    try {
      const writes: Promise<unknown>[] = []
      for (let i = 0; i < 12; i++) {
        const user = `user${i % 3}`
        writes.push((i % 2 === 0 ? a : b).add({ user_id: user, messages: [{ id: `${user}-m${i}`, role: 'user', content: `note ${i} for ${user}` }] }))
      }
      await Promise.all(writes)
      await Promise.all([a.flush(), b.flush()])
      for (let u = 0; u < 3; u++) {
        const { memories } = await a.list({ user_id: `user${u}`, limit: 100 })
        assert.equal(memories.length, 4)
        assert.equal(new Set(memories.map((m) => m.sources.at(-1))).size, 4)
        assert.equal((await a.verifyLog({ user_id: `user${u}` })).ok, true)
        // b's cached index sees a's writes (revision check)
        assert.equal((await b.search({ user_id: `user${u}`, query: 'note', limit: 10 })).memories.length, 4)
      }
    } finally {
      await a.close()
      await b.close()
      await cleanup()
    }
  })
}

test("vectorIndex 'pgvector' on a database without the extension is refused clearly", async () => {
  const { createMemoryStore } = await import('./store.ts')
  const store = await createMemoryStore({ memory: true })
  try {
    await store.query('DROP EXTENSION vector CASCADE')
    const without = { ...store, pgvector: false }
    assert.throws(() => createMemoryService({ store: without, embedder, signer, vectorIndex: 'pgvector' }), (e: unknown) => e instanceof VerityError && e.code === 'BAD_REQUEST' && /needs the pgvector extension/.test(e.message))
  } finally {
    await store.close()
  }
})
