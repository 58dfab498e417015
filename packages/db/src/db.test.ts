import { describe, before, after, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql, type Generated } from 'kysely'
import { VerityError } from '@verity/protocol'
import { migrate, openDatabase, type Migration } from './index.ts'
import { postgresSkip, testDatabases, type TestDatabase } from './testing.ts'
import * as api from './index.ts'
import * as testingApi from './testing.ts'

type NoteTables = { notes: { id: Generated<number>; body: string; size: number } }

const notesMigrations: Migration[] = [
  { name: '001-notes', up: async (db) => { await db.schema.createTable('notes').addColumn('id', 'bigserial', (c) => c.primaryKey()).addColumn('body', 'text', (c) => c.notNull()).execute() } },
  { name: '002-size', up: async (db) => { await db.schema.alterTable('notes').addColumn('size', 'bigint', (c) => c.notNull().defaultTo(0)).execute() } },
]

for (const backend of await testDatabases()) {
  describe(`@verity/db on ${backend.kind}`, { skip: backend.skip }, () => {
    let t: TestDatabase
    before(async () => { t = await backend.create() })
    after(async () => { await t?.dispose() })

    test('migrations apply once, in order, per namespace', async () => {
      const database = await t.open()
      assert.equal(database.kind, backend.kind)
      assert.deepEqual(await migrate(database, notesMigrations, { namespace: 'notes' }), { applied: ['001-notes', '002-size'] })
      assert.deepEqual(await migrate(database, notesMigrations, { namespace: 'notes' }), { applied: [] })
      const third: Migration = { name: '003-index', up: async (db) => { await db.schema.createIndex('notes_body').on('notes').column('body').execute() } }
      assert.deepEqual(await migrate(database, [...notesMigrations, third], { namespace: 'notes' }), { applied: ['003-index'] })
      // Another namespace with the same migration names is independent.
      const other: Migration[] = [{ name: '001-notes', up: async (db) => { await db.schema.createTable('other_notes').addColumn('id', 'integer').execute() } }]
      assert.deepEqual(await migrate(database, other, { namespace: 'other' }), { applied: ['001-notes'] })
      await database.close()
    })

    test('int8 values come back as numbers and queries run in transactions', async () => {
      const database = await t.open()
      await migrate(database, notesMigrations, { namespace: 'notes' })
      const db = database.db.withTables<NoteTables>()
      const row = await db.insertInto('notes').values({ body: 'hello', size: 2 ** 40 }).returning(['id', 'size']).executeTakeFirstOrThrow()
      assert.equal(typeof row.id, 'number')
      assert.equal(row.size, 2 ** 40)
      await assert.rejects(db.transaction().execute(async (trx) => {
        await trx.insertInto('notes').values({ body: 'rolled back', size: 1 }).execute()
        throw new Error('boom')
      }), /boom/)
      const bodies = (await db.selectFrom('notes').select('body').execute()).map((r) => r.body)
      assert.ok(!bodies.includes('rolled back'))
      await database.close()
    })

    test('a failing migration applies nothing and names itself', async () => {
      const database = await t.open()
      const failing: Migration[] = [
        { name: '001-ok', up: async (db) => { await db.schema.createTable('half').addColumn('id', 'integer').execute() } },
        { name: '002-bad', up: async (db) => { await sql`select * from no_such_table`.execute(db) } },
      ]
      await assert.rejects(migrate(database, failing, { namespace: 'failing' }), (e: unknown) => e instanceof VerityError && /failing\/002-bad/.test(e.message))
      const half = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_name = 'half' and table_schema = current_schema()`.execute(database.db)
      assert.equal(half.rows[0]!.n, 0)
      await assert.rejects(migrate(database, [failing[0]!, failing[0]!], { namespace: 'failing' }), /duplicate/)
      await database.close()
    })

    test('two processes migrating at once apply each migration exactly once', async () => {
      const a = await t.open()
      // PGlite is single-process: a second handle on the same files is refused; concurrent callers share one handle.
      if (backend.kind === 'pglite') {
        await assert.rejects(t.open(), (e: unknown) => e instanceof VerityError && e.code === 'DATABASE_UNAVAILABLE' && /already open in this process/.test(e.message))
      }
      const b = backend.kind === 'pglite' ? a : await t.open()
      const slow: Migration[] = [{ name: '001-slow', up: async (db) => { await sql`select pg_sleep(0.2)`.execute(db); await db.schema.createTable('raced').addColumn('id', 'integer').execute() } }]
      const [ra, rb] = await Promise.all([migrate(a, slow, { namespace: 'race' }), migrate(b, slow, { namespace: 'race' })])
      assert.deepEqual([...ra.applied, ...rb.applied], ['001-slow'])
      await a.close()
      await b.close()
      // Closing releases the PGlite lock, so the files can be opened again (a restart).
      const again = await t.open()
      assert.equal((await sql<{ n: number }>`select count(*)::int as n from verity_migrations where namespace = 'race'`.execute(again.db)).rows[0]!.n, 1)
      await again.close()
    })
  })
}

test('a PGlite lock left by a dead process, or by a previous run with our pid, is taken over', async () => {
  const t = await (await testDatabases())[0]!.create()
  try {
    for (const stalePid of [2 ** 22 + 12345, process.pid]) {
      mkdirSync(join(t.dataDir, 'db'), { recursive: true })
      writeFileSync(join(t.dataDir, 'db.lock'), String(stalePid))
      const database = await t.open()
      assert.equal(readFileSync(join(t.dataDir, 'db.lock'), 'utf8'), String(process.pid))
      await database.close()
      assert.equal(existsSync(join(t.dataDir, 'db.lock')), false)
    }
  } finally {
    await t.dispose()
  }
})

test('an unreachable PostgreSQL gives DATABASE_UNAVAILABLE without the password', async () => {
  await assert.rejects(openDatabase({ databaseUrl: 'postgres://verity:s3cret@127.0.0.1:1/none' }), (e: unknown) =>
    e instanceof VerityError && e.code === 'DATABASE_UNAVAILABLE' && !e.message.includes('s3cret') && e.message.includes('127.0.0.1:1'))
})

test('the PostgreSQL variant is skipped only outside CI when nobody asked for it', () => {
  const message = 'skipped: no PostgreSQL reachable (set VERITY_TEST_DATABASE_URL)'
  assert.equal(postgresSkip({ problem: 'ECONNREFUSED', ci: false, explicit: false }), message)
  assert.equal(postgresSkip({ problem: 'ECONNREFUSED', ci: true, explicit: false }), false, 'CI fails instead of skipping')
  assert.equal(postgresSkip({ problem: 'ECONNREFUSED', ci: false, explicit: true }), false, 'an explicit URL fails instead of skipping')
  assert.equal(postgresSkip({ problem: null, ci: false, explicit: false }), false)
})

test('an explicitly requested but unreachable PostgreSQL fails instead of skipping', async () => {
  const saved = process.env.VERITY_TEST_DATABASE_URL
  process.env.VERITY_TEST_DATABASE_URL = 'postgres://postgres:pw@127.0.0.1:1/none'
  try {
    const postgres = (await testDatabases()).find((b) => b.kind === 'postgres')!
    assert.equal(postgres.skip, false)
    await assert.rejects(postgres.create(), (e: unknown) => e instanceof Error && /PostgreSQL is required .* not reachable at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/none/.test(e.message))
  } finally {
    if (saved === undefined) delete process.env.VERITY_TEST_DATABASE_URL
    else process.env.VERITY_TEST_DATABASE_URL = saved
  }
})

test('public API (review changes to this list)', () => {
  assert.deepEqual(Object.keys(api).sort(), ['isProcessAlive', 'migrate', 'openDatabase', 'pgliteDialect', 'redactUrl', 'sql'])
  assert.deepEqual(Object.keys(testingApi).sort(), ['DEFAULT_TEST_DATABASE_URL', 'postgresSkip', 'testDatabases'])
})

test('an in-memory PGlite needs no directory, migrates like the others and has pgvector', async () => {
  const database = await openDatabase({ memory: true })
  try {
    assert.equal(database.kind, 'pglite')
    assert.deepEqual(await migrate(database, notesMigrations, { namespace: 'notes' }), { applied: ['001-notes', '002-size'] })
    const db = database.db.withTables<NoteTables>()
    await db.insertInto('notes').values({ body: 'kept in memory', size: 1 }).execute()
    assert.equal((await db.selectFrom('notes').select('body').executeTakeFirstOrThrow()).body, 'kept in memory')
    // PGlite carries pgvector (from an npm package, nothing downloaded); a package enables it when it wants it.
    await sql`create extension if not exists vector`.execute(database.db)
    const near = await sql<{ d: number }>`select '[1,0,0]'::vector <#> '[0.5,0.5,0]'::vector as d`.execute(database.db)
    assert.equal(near.rows[0]!.d, -0.5)
  } finally {
    await database.close()
  }
})
