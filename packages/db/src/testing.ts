/**
 * `@verity/db/testing`: run a suite against every database backend. PGlite always (in a temp dir);
 * PostgreSQL when `VERITY_TEST_DATABASE_URL` is set or 127.0.0.1:5432 answers. Each test database is a
 * fresh schema (`verity_test_<random>`) dropped afterwards, so suites never see each other's rows.
 * Outside CI an unreachable PostgreSQL is skipped with a message; with CI=true the suite fails instead.
 *
 * @example
 * import { describe, before, after, test } from 'node:test'
 * import { testDatabases } from '@verity/db/testing'
 * for (const backend of await testDatabases()) {
 *   describe(`notes on ${backend.kind}`, { skip: backend.skip }, () => {
 *     let t: TestDatabase
 *     before(async () => { t = await backend.create() })
 *     after(() => t?.dispose())
 *     test('works', async () => { const database = await t.open(); ...; await database.close() })
 *   })
 * }
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { openDatabase, redactUrl, type Database, type DatabaseKind, type OpenDatabaseParameters } from './openDatabase.ts'
import { quoteIdent } from './pgliteDialect.ts'

export type TestDatabase = {
  kind: DatabaseKind
  /** What to pass to openDatabase to reach this test database (again, e.g. after a simulated restart). */
  parameters: OpenDatabaseParameters
  /** A scratch directory for this test database (PGlite keeps its files in `<dataDir>/db`); removed by dispose. */
  dataDir: string
  /** Opens a new connection to this test database; close it yourself (dispose closes any still open). */
  open(): Promise<Database>
  /** Closes what open() returned, drops the schema (PostgreSQL) and removes dataDir. */
  dispose(): Promise<void>
}

export type TestBackend = {
  kind: DatabaseKind
  /** A message for node:test's `skip` option, or false when the backend is available. */
  skip: string | false
  /** Creates a fresh, empty test database. Throws when the backend is unavailable (in CI). */
  create(): Promise<TestDatabase>
}

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

const probes = new Map<string, Promise<string | null>>()

/** The backends to run a suite against (PGlite first). Call once per test file. */
export async function testDatabases(): Promise<TestBackend[]> {
  const explicit = process.env.VERITY_TEST_DATABASE_URL
  const url = explicit || DEFAULT_TEST_DATABASE_URL
  if (!probes.has(url)) probes.set(url, probe(url))
  const problem = await probes.get(url)!
  const ci = process.env.CI === 'true' || process.env.CI === '1'
  const skip = postgresSkip({ problem, ci, explicit: Boolean(explicit) })
  const postgres: TestBackend = {
    kind: 'postgres',
    skip,
    async create() {
      if (problem !== null) {
        throw new Error(`PostgreSQL is required${ci ? ' in CI (CI=true)' : ` (VERITY_TEST_DATABASE_URL=${redactUrl(url)})`} but is not reachable at ${redactUrl(url)}: ${problem}`)
      }
      const schema = `verity_test_${randomBytes(6).toString('hex')}`
      return tracked('postgres', { databaseUrl: url, schema, poolSize: 4 }, async () => {
        const client = new pg.Client({ connectionString: url })
        await client.connect()
        try {
          await client.query(`drop schema if exists ${quoteIdent(schema)} cascade`)
        } finally {
          await client.end()
        }
      })
    },
  }
  const pglite: TestBackend = {
    kind: 'pglite',
    skip: false,
    async create() {
      return tracked('pglite', null, async () => {})
    },
  }
  return [pglite, postgres]
}

/**
 * Whether the PostgreSQL variant is skipped: only when nobody asked for PostgreSQL (no
 * VERITY_TEST_DATABASE_URL, not CI) and none answers on 127.0.0.1:5432. Otherwise it runs, and fails if unreachable.
 */
export function postgresSkip(state: { problem: string | null; ci: boolean; explicit: boolean }): string | false {
  return state.problem !== null && !state.ci && !state.explicit ? 'skipped: no PostgreSQL reachable (set VERITY_TEST_DATABASE_URL)' : false
}

function tracked(kind: DatabaseKind, postgres: OpenDatabaseParameters | null, drop: () => Promise<void>): TestDatabase {
  const dataDir = mkdtempSync(join(tmpdir(), `verity-test-${kind}-`))
  const parameters: OpenDatabaseParameters = postgres ?? { dataDir }
  const open = new Set<Database>()
  return {
    kind,
    parameters,
    dataDir,
    async open() {
      const database = await openDatabase(parameters)
      const close = database.close
      const wrapped: Database = { ...database, close: async () => { open.delete(wrapped); await close() } }
      open.add(wrapped)
      return wrapped
    },
    async dispose() {
      for (const database of [...open]) await database.close()
      await drop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

async function probe(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
    return null
  } catch (error) {
    return (error as Error).message || String(error)
  } finally {
    await client.end().catch(() => {})
  }
}
