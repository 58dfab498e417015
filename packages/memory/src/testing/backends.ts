/**
 * Test helpers: the storage backends every suite runs on, from @verity/db's testDatabases (PGlite
 * always, in memory here for speed; PostgreSQL in a fresh schema when reachable, required in CI).
 */
import { testDatabases } from '@verity/db/testing'
import { createMemoryStore, type MemoryStore } from '../store.ts'

export type Backend = { name: 'pglite' | 'postgres'; skip: string | false; open(): Promise<{ store: MemoryStore; cleanup(): Promise<void> }> }

export async function backends(): Promise<Backend[]> {
  return (await testDatabases()).map((backend) => ({
    name: backend.kind,
    skip: backend.skip,
    async open() {
      if (backend.kind === 'pglite') {
        const store = await createMemoryStore({ memory: true })
        return { store, cleanup: () => store.close() }
      }
      const t = await backend.create()
      const store = await createMemoryStore({ database: await t.open() })
      return { store, cleanup: () => t.dispose() }
    },
  }))
}
