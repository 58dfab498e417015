/**
 * @verity/db — the database layer every Verity service shares.
 *
 * - `openDatabase({ dataDir })` opens PGlite (PostgreSQL in WASM) with files under `<dataDir>/db`;
 *   `openDatabase({ databaseUrl })` opens a PostgreSQL pool. Both return `{ db, kind, schema, close }`
 *   where `db` is a Kysely query builder: write each query once, it runs on both.
 * - `migrate(database, migrations, { namespace })` applies a package's own named migrations once, in a
 *   transaction, under an advisory lock (safe when two processes start together).
 * - Test suites import `testDatabases()` from `@verity/db/testing` to run on PGlite and PostgreSQL.
 *
 * Each package declares its tables as a Kysely type and views the shared database through it:
 * `const db = database.db.withTables<HubTables>()`.
 */
export { openDatabase, redactUrl, isProcessAlive, type Database, type DatabaseKind, type NoTables, type OpenDatabaseParameters, type OpenDatabaseReturnType, type OpenDatabaseErrorType } from './openDatabase.ts'
export { migrate, type Migration, type MigrateOptions, type MigrateReturnType } from './migrate.ts'
export { pgliteDialect, type PGliteDialectConfig } from './pgliteDialect.ts'
export { sql, type Kysely, type Transaction, type RawBuilder, type SelectQueryBuilder, type Selectable, type Insertable, type Updateable, type Generated, type ColumnType } from 'kysely'
