/** Test helpers: the storage backends every suite runs on (PGlite always, PostgreSQL when reachable). */
import { randomBytes } from 'node:crypto'
import { createMemoryStore, type MemoryStore } from '../store.ts'

export type Backend = { name: string; skip: string | false; open(): Promise<{ store: MemoryStore; cleanup(): Promise<void> }> }

const pgUrl = process.env.VERITY_TEST_DATABASE_URL

async function pgReachable(): Promise<boolean> {
  if (pgUrl === undefined) return false
  const pg = (await import('pg')).default
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2000 })
  try {
    await c.connect()
    await c.end()
    return true
  } catch {
    return false
  }
}

export async function backends(): Promise<Backend[]> {
  const reachable = await pgReachable()
  if (!reachable && process.env.CI === 'true') throw new Error(`CI=true but PostgreSQL at VERITY_TEST_DATABASE_URL (${pgUrl ?? 'unset'}) is not reachable`)
  return [
    {
      name: 'pglite',
      skip: false,
      async open() {
        const store = await createMemoryStore({ memory: true })
        return { store, cleanup: () => store.close() }
      },
    },
    {
      name: 'postgres',
      skip: reachable ? false : `PostgreSQL tests skipped: set VERITY_TEST_DATABASE_URL to a reachable server (got ${pgUrl ?? 'nothing'})`,
      async open() {
        const schema = `verity_memory_test_${randomBytes(6).toString('hex')}`
        const store = await createMemoryStore({ databaseUrl: pgUrl!, schema })
        return {
          store,
          async cleanup() {
            await store.query(`DROP SCHEMA ${schema} CASCADE`)
            await store.close()
          },
        }
      },
    },
  ]
}
