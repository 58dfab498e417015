/**
 * Namespaced migrations: each package (hub, node receipts, memory, ...) brings its own ordered list and
 * they share one bookkeeping table, `verity_migrations (namespace, name, applied_at)`. A run applies
 * the pending migrations of one namespace inside one transaction, holding a transaction-scoped advisory
 * lock, so two processes starting at once apply each migration exactly once and a failing migration
 * leaves nothing behind.
 */
import { sql, type Kysely, type Transaction } from 'kysely'
import { VerityError } from '@verity/protocol'
import type { Database } from './openDatabase.ts'

export type Migration = {
  /** Stable, unique within its namespace; never rename or edit an applied migration, add a new one. */
  name: string
  up: (db: Transaction<any>) => Promise<void>
}

export type MigrateOptions = {
  /** Which package's list this is, e.g. `hub`. */
  namespace: string
}

export type MigrateReturnType = {
  /** Names applied by this run, in order (empty when already up to date). */
  applied: string[]
}

// Any fixed 64-bit key works; all namespaces share one lock so the bookkeeping table is created once.
const MIGRATION_LOCK_KEY = 7_302_551_909_123_456n

/**
 * Applies the migrations of `namespace` that have not run yet, in list order.
 *
 * @example
 * import { migrate, openDatabase } from '@verity/db'
 * const database = await openDatabase({ dataDir })
 * await migrate(database, [{ name: '001-notes', up: (db) => db.schema.createTable('notes').addColumn('id', 'bigserial', (c) => c.primaryKey()).execute() }], { namespace: 'notes' })
 * @throws VerityError BAD_REQUEST for a malformed list (duplicate or empty names); the migration's own error if one fails (nothing is applied then).
 */
export async function migrate(database: Database | Kysely<any>, migrations: readonly Migration[], options: MigrateOptions): Promise<MigrateReturnType> {
  const db = ('db' in database ? database.db : database) as Kysely<any>
  const { namespace } = options
  if (!/^[a-z][a-z0-9_-]{0,62}$/.test(namespace)) {
    throw new VerityError('BAD_REQUEST', `Migration namespace ${JSON.stringify(namespace)} must be lower-case [a-z0-9_-]`, { details: { namespace } })
  }
  const seen = new Set<string>()
  for (const m of migrations) {
    if (typeof m.name !== 'string' || m.name.length === 0 || seen.has(m.name)) {
      throw new VerityError('BAD_REQUEST', `Migration list "${namespace}" has an empty or duplicate name ${JSON.stringify(m.name)}`, { details: { namespace, name: m.name } })
    }
    seen.add(m.name)
  }
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK_KEY.toString())}::bigint)`.execute(trx)
    await sql`create table if not exists verity_migrations (
      namespace text not null,
      name text not null,
      applied_at timestamptz not null default now(),
      primary key (namespace, name)
    )`.execute(trx)
    const done = await trx.selectFrom('verity_migrations').select('name').where('namespace', '=', namespace).execute()
    const applied = new Set(done.map((r: { name: string }) => r.name))
    const ran: string[] = []
    for (const m of migrations) {
      if (applied.has(m.name)) continue
      try {
        await m.up(trx)
      } catch (cause) {
        throw new VerityError('INTERNAL', `Migration ${namespace}/${m.name} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause, details: { namespace, migration: m.name } })
      }
      await trx.insertInto('verity_migrations').values({ namespace, name: m.name }).execute()
      ran.push(m.name)
    }
    return { applied: ran }
  })
}
