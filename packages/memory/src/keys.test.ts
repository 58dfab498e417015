import { describe, before, after, test } from 'node:test'
import assert from 'node:assert/strict'
import { VerityError } from '@verity/protocol'
import { testDatabases, type TestDatabase } from '@verity/db/testing'
import { createAuth } from './keys.ts'
import { createMemoryStore } from './store.ts'

for (const backend of await testDatabases()) {
  describe(`API key rate limits on ${backend.kind}`, { skip: backend.skip }, () => {
    let t: TestDatabase
    before(async () => { t = await backend.create() })
    after(async () => { await t?.dispose() })

    test('two node processes sharing the database spend from one bucket per key', async () => {
      let now = 1_000_000
      const clock = () => now
      // Two stores on two connections (PostgreSQL: two pools, as two processes would have; PGlite has one handle).
      const first = await t.open()
      const second = backend.kind === 'postgres' ? await t.open() : first
      const a = createAuth({ store: await createMemoryStore({ database: first }), clock })
      const b = createAuth({ store: await createMemoryStore({ database: second }), clock })
      const { key } = await a.createApiKey({ user: 'u1', scopes: ['memories:read'], rateLimit: 6 })
      const [pa, pb] = [await a.authenticate(key), await b.authenticate(key)]
      await Promise.all([a.consume(pa), b.consume(pb), a.consume(pa), b.consume(pb), a.consume(pa), b.consume(pb)])
      for (const [auth, p] of [[a, pa], [b, pb]] as const) {
        await assert.rejects(auth.consume(p), (e: unknown) => e instanceof VerityError && e.code === 'RATE_LIMITED' && e.details.retry_after_seconds === 10)
      }
      now += 10_000 // one token per 10 s at 6 per minute
      await b.consume(pb)
      await assert.rejects(a.consume(pa), /exceeded its limit of 6 requests per minute/)
      // A refused request spends nothing: after another 10 s exactly one more passes.
      now += 10_000
      await a.consume(pa)
      await assert.rejects(b.consume(pb), /RATE_LIMITED|exceeded/)
      // Another key has its own bucket.
      const other = await b.authenticate((await b.createApiKey({ user: 'u1', scopes: ['memories:read'], rateLimit: 1 })).key)
      await a.consume(other)
      await assert.rejects(a.consume(other), /exceeded/)
    })
  })
}
