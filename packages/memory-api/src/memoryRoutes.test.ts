import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { generatePrivateKey } from '@verity/protocol'
import { createAuth, createHashingEmbedder, createLocalSigner, createMemoryService, createMemoryStore, ensureAdminKey, verifyMemoryLog, type MemoryStore } from '@verity/memory'
import { memoryRoutes } from './index.ts'

let app: FastifyInstance
let store: MemoryStore
let service: ReturnType<typeof createMemoryService>
let dataDir: string
let admin: string
let aliceKey: string
let bobKey: string
let aliceReadOnly: string
const signer = createLocalSigner(generatePrivateKey())

type Res = { statusCode: number; json(): any; headers: Record<string, unknown> }
const call = (method: string, url: string, key: string | undefined, payload?: unknown, header: 'bearer' | 'x-api-key' = 'bearer'): Promise<Res> =>
  app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as object }), headers: key === undefined ? {} : header === 'bearer' ? { authorization: `Bearer ${key}` } : { 'x-api-key': key } }) as Promise<Res>

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'verity-memory-api-'))
  admin = ensureAdminKey(dataDir)
  store = await createMemoryStore({ memory: true })
  service = createMemoryService({ store, embedder: createHashingEmbedder(128), signer })
  const auth = createAuth({ store, adminKey: admin })
  app = Fastify()
  await app.register(memoryRoutes, { service, auth })
  const mk = async (user: string, scopes: string[], rate_limit?: number) => (await call('POST', '/v1/api-keys', admin, { user_id: user, scopes, ...(rate_limit ? { rate_limit } : {}) })).json().key as string
  aliceKey = await mk('alice', ['memories:read', 'memories:write', 'profile:read'])
  bobKey = await mk('bob', ['memories:read', 'memories:write', 'profile:read'])
  aliceReadOnly = await mk('alice', ['memories:read'])
})

after(async () => {
  await app?.close()
  await service?.close()
  await store?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

test('admin key file is created once with mode 0600 and stays the same', () => {
  assert.equal(statSync(join(dataDir, 'admin.key')).mode & 0o777, 0o600)
  assert.equal(ensureAdminKey(dataDir), admin)
})

test('add, search, list, get, update, trace, log, profile, export over HTTP', async () => {
  const add = await call('POST', '/v1/memories?wait=true', aliceKey, {
    messages: [
      { id: 'a1', role: 'user', content: 'I started learning the cello in March', timestamp: '2024-04-02T09:00:00Z' },
      { id: 'a2', role: 'assistant', content: 'How are the cello lessons going?', timestamp: '2024-04-02T09:01:00Z' },
    ],
    agent_id: 'agent-1',
  })
  assert.equal(add.statusCode, 202)
  assert.deepEqual(add.json().message_ids, ['a1', 'a2'])
  const search = await call('POST', '/v1/memories/search', aliceKey, { query: 'cello lessons', limit: 5, include_profile: true })
  assert.equal(search.statusCode, 200)
  const top = search.json().memories[0]
  assert.ok(top.sources.includes('a1') || top.sources.includes('a2'))
  assert.equal(typeof top.score, 'number')
  assert.equal(search.json().profile.user_id, 'alice')
  const list = await call('GET', '/v1/memories?limit=1', aliceKey, undefined, 'x-api-key')
  assert.equal(list.statusCode, 200)
  assert.equal(list.json().memories.length, 1)
  assert.ok(list.json().next_cursor)
  const id = top.id as string
  assert.equal((await call('GET', `/v1/memories/${id}`, aliceKey)).json().id, id)
  const patched = await call('PATCH', `/v1/memories/${id}`, aliceKey, { text: 'Alice plays the cello', categories: ['learning'] })
  assert.equal(patched.statusCode, 200)
  assert.equal(patched.json().text, 'Alice plays the cello')
  const trace = (await call('GET', `/v1/memories/${id}/trace`, aliceKey)).json()
  assert.deepEqual(trace.operations.map((o: any) => o.entry.op), ['create', 'update'])
  const log = (await call('GET', '/v1/memories/log', aliceKey)).json()
  assert.equal(verifyMemoryLog(log.entries, log.node).ok, true)
  assert.equal(log.node, signer.address)
  assert.equal((await call('GET', '/v1/profile', aliceKey)).statusCode, 200)
  const exp = (await call('GET', '/v1/memories/export', aliceKey)).json()
  assert.equal(exp.messages.length, 2)
  assert.equal(exp.user_id, 'alice')
})

test('user B can never read, search, update or delete user A data by any route', async () => {
  const ids = (await call('GET', '/v1/memories', aliceKey)).json().memories.map((m: any) => m.id) as string[]
  assert.ok(ids.length > 0)
  const id = ids[0]!
  const missing = 'mem_000000000000000000000000'
  for (const [method, url, body] of [
    ['GET', `/v1/memories/${id}`],
    ['GET', `/v1/memories/${id}/trace`],
    ['PATCH', `/v1/memories/${id}`, { text: 'hijacked' }],
    ['DELETE', `/v1/memories/${id}`],
    ['DELETE', '/v1/users/alice'],
  ] as const) {
    const theirs = await call(method, url, bobKey, body)
    const none = await call(method, url.replace(id, missing).replace('/users/alice', '/users/nobody'), bobKey, body)
    assert.equal(theirs.statusCode, 404, `${method} ${url}`)
    // same answer as for an id that does not exist: existence is not leaked
    assert.deepEqual(theirs.json().error.code, none.json().error.code)
  }
  assert.deepEqual((await call('POST', '/v1/memories/delete', bobKey, { ids })).json(), { deleted: [] })
  assert.equal((await call('POST', '/v1/memories/search', bobKey, { query: 'cello' })).json().memories.length, 0)
  assert.equal((await call('GET', '/v1/memories', bobKey)).json().memories.length, 0)
  for (const [method, url, body] of [
    ['POST', '/v1/memories/search', { query: 'cello', user_id: 'alice' }],
    ['GET', '/v1/memories?user_id=alice'],
    ['GET', '/v1/memories/export?user_id=alice'],
    ['GET', '/v1/memories/log?user_id=alice'],
    ['GET', '/v1/profile?user_id=alice'],
    ['POST', '/v1/memories', { user_id: 'alice', messages: [{ role: 'user', content: 'planted' }] }],
    ['POST', '/v1/memories/delete', { user_id: 'alice', ids }],
    ['GET', `/v1/memories/${id}?user_id=alice`],
  ] as const) {
    const res = await call(method, url, bobKey, body)
    assert.equal(res.statusCode, 403, `${method} ${url}`)
    assert.equal(res.json().error.code, 'FORBIDDEN')
  }
  assert.equal((await call('GET', `/v1/memories/${id}`, aliceKey)).statusCode, 200)
  assert.equal((await call('GET', '/v1/memories', aliceKey)).json().memories.length, ids.length)
})

test('scopes, missing keys, admin-only routes', async () => {
  assert.equal((await call('GET', '/v1/memories', undefined)).json().error.code, 'UNAUTHORIZED')
  assert.equal((await call('GET', '/v1/memories', 'vmk_wrong')).statusCode, 401)
  const ro = await call('POST', '/v1/memories', aliceReadOnly, { messages: [{ role: 'user', content: 'x' }] })
  assert.equal(ro.statusCode, 403)
  assert.match(ro.json().error.message, /lacks the scope memories:write/)
  assert.equal((await call('GET', '/v1/profile', aliceReadOnly)).statusCode, 403)
  assert.equal((await call('GET', '/v1/memories', aliceReadOnly)).statusCode, 200)
  assert.equal((await call('POST', '/v1/api-keys', aliceKey, { user_id: 'alice', scopes: ['memories:read'] })).statusCode, 403)
  const bad = await call('POST', '/v1/api-keys', admin, { user_id: 'alice', scopes: ['memories:everything'] })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().error.code, 'BAD_REQUEST')
  assert.equal((await call('GET', '/v1/memories', admin)).json().error.message, 'user_id is required with the admin key')
  assert.equal((await call('GET', '/v1/memories?user_id=alice', admin)).statusCode, 200)
  const keys = (await call('GET', '/v1/api-keys?user_id=alice', admin)).json().keys
  assert.equal(keys.length, 2)
  assert.ok(!JSON.stringify(keys).includes(aliceKey))
  const stored = JSON.stringify(await store.query('SELECT * FROM memory_api_keys'))
  assert.ok(!stored.includes(aliceKey.slice(4)), 'only hashes of keys are stored')
})

test('bad input gets clear errors', async () => {
  const noMessages = await call('POST', '/v1/memories', aliceKey, { messages: [] })
  assert.equal(noMessages.statusCode, 400)
  assert.match(noMessages.json().error.message, /messages/)
  const noUser = await call('POST', '/v1/memories', admin, { messages: [{ role: 'user', content: 'x' }] })
  assert.equal(noUser.statusCode, 400)
  assert.match(noUser.json().error.message, /user_id is required/)
  const big = await call('POST', '/v1/memories', aliceKey, { messages: [{ role: 'user', content: 'x'.repeat(40_000) }] })
  assert.equal(big.statusCode, 413)
  assert.equal(big.json().error.code, 'INPUT_TOO_LARGE')
  const extra = await call('POST', '/v1/memories/search', aliceKey, { query: 'x', limit: 0 })
  assert.equal(extra.statusCode, 400)
  assert.equal(extra.json().error.code, 'BAD_REQUEST')
  const cat = await call('POST', '/v1/memories/search', aliceKey, { query: 'x', categories: ['gossip'] })
  assert.equal(cat.statusCode, 400)
  const notJson = await app.inject({ method: 'POST', url: '/v1/memories/search', payload: '{bad', headers: { authorization: `Bearer ${aliceKey}`, 'content-type': 'application/json' } })
  assert.equal(notJson.statusCode, 400)
  assert.equal(notJson.json().error.code, 'BAD_REQUEST')
})

test('per-key rate limits answer 429 with Retry-After', async () => {
  const key = (await call('POST', '/v1/api-keys', admin, { user_id: 'carol', scopes: ['memories:read'], rate_limit: 3 })).json().key
  const codes: number[] = []
  for (let i = 0; i < 5; i++) codes.push((await call('GET', '/v1/memories', key)).statusCode)
  assert.deepEqual(codes, [200, 200, 200, 429, 429])
  const res = await call('GET', '/v1/memories', key)
  assert.equal(res.json().error.code, 'RATE_LIMITED')
  assert.ok(Number(res.headers['retry-after']) >= 1)
  // another key is not affected
  assert.equal((await call('GET', '/v1/memories', bobKey)).statusCode, 200)
})

test('erase-user over HTTP removes the data and keeps a verifiable log; the erased key stops working', async () => {
  const tmpKey = (await call('POST', '/v1/api-keys', admin, { user_id: 'dave', scopes: ['memories:read', 'memories:write'] })).json().key
  await call('POST', '/v1/memories?wait=true', tmpKey, { messages: [{ id: 'dv1', role: 'user', content: 'dave private fact' }] })
  const erased = await call('DELETE', '/v1/users/dave', tmpKey)
  assert.equal(erased.statusCode, 200)
  assert.equal((await call('GET', '/v1/memories', tmpKey)).statusCode, 401)
  const log = (await call('GET', '/v1/memories/log?user_id=dave', admin)).json()
  assert.equal(log.entries.at(-1).entry.op, 'erase')
  assert.equal(verifyMemoryLog(log.entries, signer.address).ok, true)
  assert.equal((await call('GET', '/v1/memories?user_id=dave', admin)).json().memories.length, 0)
})

test('internal errors do not leak details', async () => {
  const app2 = Fastify()
  const broken = { ...service, search: async () => { throw new Error('connection to postgres://u:secret@db failed') } }
  await app2.register(memoryRoutes, { service: broken as never, auth: createAuth({ store, adminKey: admin }) })
  const res = await app2.inject({ method: 'POST', url: '/v1/memories/search', payload: { query: 'x', user_id: 'alice' }, headers: { authorization: `Bearer ${admin}` } })
  assert.equal(res.statusCode, 500)
  assert.deepEqual(res.json().error.message, 'internal error')
  assert.ok(!res.body.includes('secret'))
  await app2.close()
})
