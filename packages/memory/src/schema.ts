/**
 * The memory tables, migrated by @verity/db's shared runner under the namespace `memory` (so they live
 * in the node's one database beside the hub's and the receipts'). One schema for PGlite and PostgreSQL.
 * Times are epoch milliseconds in `double precision` (exact for dates, no time-zone parsing differences
 * between drivers); vectors are little-endian float32 `bytea`. Migrations are append-only: never edit a
 * released step, add a new one. `IF NOT EXISTS` lets a database made by the earlier standalone memory
 * store (same tables) be adopted as it is.
 */
import { sql, type Migration } from '@verity/db'

const statements = (text: string): Migration['up'] => async (db) => {
  for (const stmt of text.split(';').map((s) => s.trim()).filter(Boolean)) await sql.raw(stmt).execute(db)
}

export const memoryMigrations: Migration[] = [
  {
    name: '001-memory-tables',
    up: statements(`
CREATE TABLE IF NOT EXISTS memory_users (
  user_id text PRIMARY KEY,
  revision bigint NOT NULL DEFAULT 0,
  message_seq bigint NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS memory_messages (
  user_id text NOT NULL,
  id text NOT NULL,
  seq bigint NOT NULL,
  role text NOT NULL,
  name text,
  content text NOT NULL,
  ts double precision NOT NULL,
  agent_id text,
  thread_id text,
  source text,
  metadata jsonb,
  created_at double precision NOT NULL,
  PRIMARY KEY (user_id, id)
);
CREATE INDEX IF NOT EXISTS memory_messages_seq ON memory_messages (user_id, seq);
CREATE TABLE IF NOT EXISTS memory_items (
  user_id text NOT NULL,
  id text NOT NULL,
  text text NOT NULL,
  search_text text NOT NULL,
  categories text[] NOT NULL,
  type text NOT NULL,
  importance real NOT NULL,
  event_time double precision NOT NULL,
  record_time double precision NOT NULL,
  updated_at double precision NOT NULL,
  sources text[] NOT NULL,
  extractor text NOT NULL,
  agent_id text,
  thread_id text,
  metadata jsonb,
  reinforced integer NOT NULL DEFAULT 0,
  embedding bytea,
  PRIMARY KEY (user_id, id)
);
CREATE INDEX IF NOT EXISTS memory_items_list ON memory_items (user_id, record_time, id);
CREATE TABLE IF NOT EXISTS memory_jobs (
  id bigserial PRIMARY KEY,
  user_id text NOT NULL,
  kind text NOT NULL,
  payload jsonb NOT NULL,
  state text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  lease_token text,
  locked_until double precision,
  last_error text,
  created_at double precision NOT NULL,
  updated_at double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS memory_jobs_pending ON memory_jobs (state, id);
CREATE INDEX IF NOT EXISTS memory_jobs_user ON memory_jobs (user_id);
CREATE TABLE IF NOT EXISTS memory_log (
  subject text NOT NULL,
  seq integer NOT NULL,
  entry jsonb NOT NULL,
  hash text NOT NULL,
  signature text NOT NULL,
  PRIMARY KEY (subject, seq)
);
CREATE TABLE IF NOT EXISTS memory_api_keys (
  id text PRIMARY KEY,
  key_hash text NOT NULL UNIQUE,
  user_id text NOT NULL,
  scopes text[] NOT NULL,
  rate_limit integer NOT NULL,
  created_at double precision NOT NULL,
  revoked_at double precision
);
CREATE INDEX IF NOT EXISTS memory_api_keys_user ON memory_api_keys (user_id);
CREATE TABLE IF NOT EXISTS memory_profiles (
  user_id text PRIMARY KEY,
  revision bigint NOT NULL,
  profile jsonb NOT NULL
);
`),
  },
  {
    // Rate-limit buckets in the database, so every node process sharing it spends from one bucket per key.
    name: '002-rate-limits',
    up: statements(`
CREATE TABLE IF NOT EXISTS memory_rate_limits (
  key_id text PRIMARY KEY,
  user_id text NOT NULL,
  tokens double precision NOT NULL,
  at double precision NOT NULL,
  allowed boolean NOT NULL
);
CREATE INDEX IF NOT EXISTS memory_rate_limits_user ON memory_rate_limits (user_id);
`),
  },
]

/** Every table that holds per-user data (erase-user must empty them all of that user). */
export const userTables = ['memory_users', 'memory_messages', 'memory_items', 'memory_jobs', 'memory_api_keys', 'memory_profiles', 'memory_rate_limits'] as const
