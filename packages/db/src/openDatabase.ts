/**
 * One database API over two engines: PGlite (PostgreSQL in WASM, files under `<dataDir>/db`) for a
 * self-contained node, and PostgreSQL (via `pg`) when a URL is given. Both speak the same SQL, so every
 * query and migration is written once with Kysely.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { VerityError } from '@verity/protocol'
import { pgliteDialect, quoteIdent } from './pgliteDialect.ts'

/** The database with no tables known yet; each package adds its own with `db.withTables<T>()`. */
export type NoTables = Record<never, never>

export type DatabaseKind = 'pglite' | 'postgres'

export type OpenDatabaseParameters =
  | {
    /** PGlite keeps its files in `<dataDir>/db` (created if missing). */
    dataDir: string
    databaseUrl?: undefined
    /** Schema to use (created if missing); default `public`. */
    schema?: string | undefined
  }
  | {
    /** PGlite held in memory only, gone on close (tests and benches). */
    memory: true
    dataDir?: undefined
    databaseUrl?: undefined
    schema?: string | undefined
  }
  | {
    /** e.g. `postgres://user:password@host:5432/verity`. */
    databaseUrl: string
    dataDir?: undefined
    /** Schema to use (created if missing) through `search_path`; default the server's (`public`). */
    schema?: string | undefined
    /** Connections in the pool; default 10. */
    poolSize?: number | undefined
  }

export type Database = {
  /** The query builder. Add a package's table types with `database.db.withTables<MyTables>()`. */
  db: Kysely<NoTables>
  kind: DatabaseKind
  /** The schema every unqualified name resolves to, or null for the server default. */
  schema: string | null
  /** Closes the pool (PostgreSQL) or the PGlite instance; idempotent. */
  close(): Promise<void>
}

export type OpenDatabaseReturnType = Database
export type OpenDatabaseErrorType = VerityError

const INT8 = 20

// int8 columns (ids, sizes, counters) come back as JS numbers on both engines: every value Verity stores
// stays far below 2^53, and callers should not have to tell strings from bigints apart per engine.
const parseInt8 = (value: string) => Number(value)

/**
 * Opens PGlite under `<dataDir>/db` or a PostgreSQL pool for `databaseUrl`, and checks that it answers.
 *
 * @example
 * import { openDatabase } from '@verity/db'
 * const database = await openDatabase({ dataDir: '/var/lib/verity' })
 * await database.close()
 * @throws VerityError DATABASE_UNAVAILABLE when PostgreSQL cannot be reached, INVALID_INPUT for a bad schema name.
 */
export async function openDatabase(parameters: OpenDatabaseParameters): Promise<Database> {
  const schema = parameters.schema ?? null
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new VerityError('INVALID_INPUT', `Schema name ${JSON.stringify(schema)} must be lower-case [a-z0-9_], starting with a letter or _`, { details: { schema } })
  }
  if (parameters.databaseUrl !== undefined) return openPostgres(parameters.databaseUrl, schema, parameters.poolSize ?? 10)
  return openPGlite(parameters.dataDir ?? null, schema)
}

async function openPGlite(dataDir: string | null, schema: string | null): Promise<Database> {
  const dir = dataDir === null ? null : join(dataDir, 'db')
  let unlock = () => {}
  if (dir !== null) {
    mkdirSync(dir, { recursive: true })
    unlock = lockDataDir(dir)
  }
  let pglite: PGlite
  try {
    // pgvector ships with PGlite here (an npm package, no download); a package enables it with CREATE EXTENSION.
    const options = { parsers: { [INT8]: parseInt8 }, extensions: { vector } }
    pglite = dir === null ? await PGlite.create(options) : await PGlite.create(dir, options)
    if (schema !== null) {
      await pglite.exec(`create schema if not exists ${quoteIdent(schema)}; set search_path to ${quoteIdent(schema)}`)
    }
  } catch (cause) {
    unlock()
    throw new VerityError('DATABASE_UNAVAILABLE', `Cannot open the PGlite database in ${dir ?? 'memory'}: ${(cause as Error)?.message ?? String(cause)}`, { cause, details: { dir } })
  }
  const db = new Kysely<NoTables>({ dialect: pgliteDialect({ pglite }) })
  const close = async () => {
    try {
      await db.destroy()
      // Kysely only destroys a driver it initialised (on the first query); close PGlite either way.
      if (!pglite.closed) await pglite.close()
    } finally {
      unlock()
    }
  }
  return { db, kind: 'pglite', schema, close: once(close) }
}

/**
 * PGlite is one PostgreSQL backend inside this process: a second instance on the same files (in this
 * process or another) would corrupt them. A lock file holding the owner's pid refuses that, and a lock
 * left by a dead process is taken over.
 */
const openHere = new Set<string>()

function lockDataDir(dir: string): () => void {
  const lockPath = `${dir}.lock`
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      openHere.add(lockPath)
      return () => { openHere.delete(lockPath); rmSync(lockPath, { force: true }) }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const owner = Number(readFileSync(lockPath, 'utf8').trim())
      // Our own pid on a lock we did not take is a previous run's (containers restart as the same pid).
      const held = owner === process.pid ? openHere.has(lockPath) : Number.isInteger(owner) && owner > 0 && isProcessAlive(owner)
      if (held) {
        const who = owner === process.pid ? 'this process' : `process ${owner}`
        throw new VerityError('DATABASE_UNAVAILABLE', `The PGlite database in ${dir} is already open in ${who}; PGlite allows one open handle at a time. Close it first, or use PostgreSQL (databaseUrl) to share one database between processes.`, { details: { dir, pid: owner, lockFile: lockPath } })
      }
      rmSync(lockPath, { force: true })
    }
  }
  throw new VerityError('DATABASE_UNAVAILABLE', `Could not take the lock ${lockPath} for the PGlite database in ${dir}`, { details: { dir, lockFile: lockPath } })
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function openPostgres(databaseUrl: string, schema: string | null, poolSize: number): Promise<Database> {
  if (schema !== null) {
    // The schema must exist before search_path can point at it on every pooled connection.
    const client = new pg.Client({ connectionString: databaseUrl })
    try {
      await client.connect()
      await client.query(`create schema if not exists ${quoteIdent(schema)}`)
    } catch (cause) {
      throw unavailable(databaseUrl, cause)
    } finally {
      await client.end().catch(() => {})
    }
  }
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: poolSize,
    ...(schema !== null ? { options: `-c search_path=${schema}` } : {}),
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => oid === INT8 ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser },
  })
  // An idle client that loses its server emits 'error' on the pool; without a listener Node would crash.
  pool.on('error', () => {})
  const db = new Kysely<NoTables>({ dialect: new PostgresDialect({ pool }) })
  try {
    await sql`select 1`.execute(db)
  } catch (cause) {
    await db.destroy().catch(() => {})
    throw unavailable(databaseUrl, cause)
  }
  return { db, kind: 'postgres', schema, close: once(() => db.destroy()) }
}

function unavailable(databaseUrl: string, cause: unknown): VerityError {
  const url = redactUrl(databaseUrl)
  return new VerityError('DATABASE_UNAVAILABLE', `Cannot reach PostgreSQL at ${url}: ${(cause as Error)?.message ?? String(cause)}`, { cause, details: { url } })
}

/** The URL without its password, safe for messages and logs. */
export function redactUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl)
    if (url.password) url.password = '***'
    return url.toString()
  } catch {
    return '(unparseable database URL)'
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null
  return () => (done ??= fn())
}
