/**
 * The memory service's view of a @verity/db database: parameterised SQL with plain rows, and
 * transactions. A node passes its own database handle (one connection pool or PGlite instance for the
 * hub, the receipts and memory); the memory tables are migrated by the shared runner under the
 * namespace `memory`. Vectors are always stored as float32 `bytea` (what export and the in-process index
 * read); when pgvector can be enabled (PGlite ships it, a PostgreSQL server may have it) they are also
 * kept in a pgvector table with an HNSW index, and dense retrieval runs there. Without pgvector the
 * in-process index does it.
 */
import { CompiledQuery, type Kysely } from 'kysely'
import { migrate, openDatabase, redactUrl, sql, type Database } from '@verity/db'
import { memoryMigrations } from './schema.ts'

/** What the service needs from a SQL connection: parameterised queries returning plain rows. */
export type Sql = {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>
}

export type MemoryStore = Sql & {
  readonly kind: 'pglite' | 'postgres'
  /** The database underneath (shared with the rest of the node when it was passed in). */
  readonly database: Database
  /** Whether the pgvector extension is enabled in this database. */
  readonly pgvector: boolean
  /** Runs `fn` in one transaction: everything it wrote is committed together or not at all. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>
  /** Closes the database only when this store opened it; a database passed in stays open. */
  close(): Promise<void>
}

export type CreateMemoryStoreParameters =
  /** The node's database (preferred): memory shares its connection and migration bookkeeping. */
  | { database: Database; dataDir?: undefined; databaseUrl?: undefined; memory?: undefined }
  /** Opens its own PGlite under `<dataDir>/db` (CLI tools, benches). */
  | { dataDir: string; database?: undefined; databaseUrl?: undefined; memory?: undefined; schema?: string | undefined }
  /** Opens its own PostgreSQL pool; `schema` is created if missing (default `public`). */
  | { databaseUrl: string; schema?: string | undefined; database?: undefined; dataDir?: undefined; memory?: undefined }
  /** In-memory PGlite (tests and benches). */
  | { memory: true; database?: undefined; dataDir?: undefined; databaseUrl?: undefined }

/**
 * Migrates the memory tables in a database and returns the store the service runs on.
 * @example
 * const database = await openDatabase({ dataDir: '/var/lib/verity' })
 * const store = await createMemoryStore({ database })
 */
export async function createMemoryStore(params: CreateMemoryStoreParameters): Promise<MemoryStore> {
  const owned = params.database === undefined
  const database = params.database
    ?? (params.databaseUrl !== undefined
      ? await openDatabase({ databaseUrl: params.databaseUrl, schema: params.schema, poolSize: 4 })
      : params.memory === true ? await openDatabase({ memory: true }) : await openDatabase({ dataDir: params.dataDir, schema: params.schema }))
  try {
    await migrate(database, memoryMigrations, { namespace: 'memory' })
  } catch (error) {
    if (owned) await database.close()
    throw error
  }
  const pgvector = await enablePgvector(database)
  const wrap = (db: Kysely<any>): Sql => ({
    async query<T>(text: string, params: readonly unknown[] = []) {
      return (await db.executeQuery<T>(CompiledQuery.raw(text, params as unknown[]))).rows as T[]
    },
  })
  const db = database.db as Kysely<any>
  return {
    kind: database.kind,
    database,
    pgvector,
    ...wrap(db),
    transaction: (fn) => db.transaction().execute((trx) => fn(wrap(trx))),
    close: async () => {
      if (owned) await database.close()
    },
  }
}

/** `CREATE EXTENSION vector` when it is not there yet; false when the server has no pgvector (or no right to add it). */
async function enablePgvector(database: Database): Promise<boolean> {
  const installed = async () => (await sql<{ n: number }>`select count(*)::int as n from pg_extension where extname = 'vector'`.execute(database.db)).rows[0]!.n > 0
  if (await installed()) return true
  try {
    await sql`create extension if not exists vector`.execute(database.db)
  } catch {
    return false
  }
  return installed()
}

export { redactUrl }
