/**
 * A Kysely dialect for PGlite (PostgreSQL compiled to WASM, one connection per instance). Kysely's
 * Postgres adapter, compiler and introspector apply unchanged; only the driver differs. PGlite has a
 * single session, so a connection is an exclusive lease: a transaction holds it from BEGIN to COMMIT
 * and other queries wait, which gives the same isolation PostgreSQL gives separate connections.
 */
import type { PGlite } from '@electric-sql/pglite'
import {
  CompiledQuery, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler,
  type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryResult, type TransactionSettings,
} from 'kysely'

export type PGliteDialectConfig = { pglite: PGlite }

export function pgliteDialect(config: PGliteDialectConfig): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => createPGliteDriver(config.pglite),
    createQueryCompiler: () => new PostgresQueryCompiler(),
    createIntrospector: (db: Kysely<any>) => new PostgresIntrospector(db),
  }
}

function createPGliteDriver(pglite: PGlite): Driver {
  // FIFO lease of the one session.
  let tail: Promise<void> = Promise.resolve()
  const releases = new WeakMap<DatabaseConnection, () => void>()

  const connection = (): DatabaseConnection => ({
    async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      const result = await pglite.query<R>(query.sql, query.parameters as unknown[])
      const command = result.command ?? ''
      const counted = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE'
      return counted && result.affectedRows !== undefined
        ? { rows: result.rows, numAffectedRows: BigInt(result.affectedRows) }
        : { rows: result.rows }
    },
    streamQuery(): AsyncIterableIterator<QueryResult<never>> {
      throw new Error('PGlite dialect: streaming queries are not supported; page with limit/offset instead')
    },
  })

  return {
    async init() {},
    async acquireConnection() {
      let release!: () => void
      const previous = tail
      tail = new Promise<void>((resolve) => { release = resolve })
      await previous
      const conn = connection()
      releases.set(conn, release)
      return conn
    },
    async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings) {
      let sql = 'begin'
      if (settings.isolationLevel) sql = `start transaction isolation level ${settings.isolationLevel}`
      if (settings.accessMode) sql = `${settings.isolationLevel ? sql : 'start transaction'} ${settings.accessMode}`
      await conn.executeQuery(CompiledQuery.raw(sql))
    },
    async commitTransaction() {
      // PostgreSQL answers COMMIT with a ROLLBACK tag when an earlier error aborted the transaction.
      const result = await pglite.query('commit')
      if (result.command === 'ROLLBACK') throw new Error('PGlite: the transaction was aborted by an earlier error and rolled back')
    },
    async rollbackTransaction(conn: DatabaseConnection) {
      await conn.executeQuery(CompiledQuery.raw('rollback'))
    },
    async savepoint(conn, name) {
      await conn.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdent(name)}`))
    },
    async rollbackToSavepoint(conn, name) {
      await conn.executeQuery(CompiledQuery.raw(`rollback to savepoint ${quoteIdent(name)}`))
    },
    async releaseSavepoint(conn, name) {
      await conn.executeQuery(CompiledQuery.raw(`release savepoint ${quoteIdent(name)}`))
    },
    async releaseConnection(conn: DatabaseConnection) {
      releases.get(conn)?.()
      releases.delete(conn)
    },
    async destroy() {
      await tail
      if (!pglite.closed) await pglite.close()
    },
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
