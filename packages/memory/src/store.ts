/**
 * Storage for agent memory: PGlite in a directory under the data dir by default, PostgreSQL when a
 * database URL is given. One schema and one migration list serve both (see schema.ts). Vectors are
 * stored as float32 `bytea` and compared in process, so neither PGlite nor a PostgreSQL without
 * pgvector needs an extension.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { VerityError } from '@verity/protocol'
import { migrate } from './schema.ts'

/** What the service needs from a SQL connection: parameterised queries returning plain rows. */
export type Sql = {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>
}

export type MemoryStore = Sql & {
  readonly kind: 'pglite' | 'postgres'
  /** Runs `fn` in one transaction: everything it wrote is committed together or not at all. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>
  close(): Promise<void>
}

export type CreateMemoryStoreParameters =
  | { dataDir: string; databaseUrl?: undefined; schema?: undefined }
  /** `schema`: a PostgreSQL schema to keep the tables in (created if missing); default `public`. */
  | { databaseUrl: string; schema?: string | undefined; dataDir?: undefined }
  /** In-memory PGlite (tests and benches). */
  | { memory: true; dataDir?: undefined; databaseUrl?: undefined; schema?: undefined }

/**
 * Opens (and migrates) the memory database.
 * @example
 * const store = await createMemoryStore({ dataDir: '/var/lib/verity' })
 */
export async function createMemoryStore(params: CreateMemoryStoreParameters): Promise<MemoryStore> {
  const store = params.databaseUrl !== undefined ? await openPostgres(params.databaseUrl, params.schema) : await openPglite('dataDir' in params && params.dataDir !== undefined ? params.dataDir : undefined)
  try {
    await migrate(store)
  } catch (error) {
    await store.close()
    throw error
  }
  return store
}

async function openPglite(dataDir: string | undefined): Promise<MemoryStore> {
  const { PGlite } = await import('@electric-sql/pglite')
  let dir: string | undefined
  if (dataDir !== undefined) {
    dir = join(dataDir, 'memory-db')
    mkdirSync(dir, { recursive: true })
  }
  const db = dir === undefined ? await PGlite.create() : await PGlite.create(dir)
  const wrap = (q: { query: (t: string, p?: unknown[]) => Promise<{ rows: unknown[] }> }): Sql => ({
    async query<T>(text: string, params: readonly unknown[] = []) {
      return (await q.query(text, params as unknown[])).rows as T[]
    },
  })
  // PGlite runs one connection: transactions are serialised here so a query from another caller never
  // lands inside someone else's transaction.
  let chain: Promise<unknown> = Promise.resolve()
  const base = wrap(db)
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn)
    chain = run.catch(() => undefined)
    return run
  }
  return {
    kind: 'pglite',
    query: (text, params) => serial(() => base.query(text, params)),
    transaction: (fn) => serial(() => db.transaction((tx) => fn(wrap(tx)))),
    close: async () => {
      await chain
      await db.close()
    },
  }
}

async function openPostgres(databaseUrl: string, schema: string | undefined): Promise<MemoryStore> {
  const pg = (await import('pg')).default
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new VerityError('BAD_REQUEST', `schema ${JSON.stringify(schema)} is not a plain lower-case SQL identifier`, { details: { schema } })
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }) })
  pool.on('error', () => undefined)
  try {
    if (schema !== undefined) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
  } catch (error) {
    await pool.end()
    throw new VerityError('INTERNAL', `cannot reach PostgreSQL at ${redactUrl(databaseUrl)}: ${(error as Error).message}`, { cause: error, details: { url: redactUrl(databaseUrl) } })
  }
  const wrap = (c: { query: (t: string, p?: unknown[]) => Promise<{ rows: unknown[] }> }): Sql => ({
    async query<T>(text: string, params: readonly unknown[] = []) {
      return (await c.query(text, params as unknown[])).rows as T[]
    },
  })
  return {
    kind: 'postgres',
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const out = await fn(wrap(client))
        await client.query('COMMIT')
        return out
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined)
        throw error
      } finally {
        client.release()
      }
    },
    close: () => pool.end(),
  }
}

/** Strips credentials from a database URL before it reaches an error or a log. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '<unparseable url>'
  }
}
