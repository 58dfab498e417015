/**
 * One schema for PGlite and PostgreSQL. Times are epoch milliseconds in `double precision` (exact for
 * dates, no time-zone parsing differences between drivers); vectors are little-endian float32 `bytea`.
 * Migrations are append-only: never edit a released step, add a new one.
 */
import type { MemoryStore } from './store.ts'

const migrations: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE memory_users (
  user_id text PRIMARY KEY,
  revision bigint NOT NULL DEFAULT 0,
  message_seq bigint NOT NULL DEFAULT 0
);
CREATE TABLE memory_messages (
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
CREATE INDEX memory_messages_seq ON memory_messages (user_id, seq);
CREATE TABLE memory_items (
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
CREATE INDEX memory_items_list ON memory_items (user_id, record_time, id);
CREATE TABLE memory_jobs (
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
CREATE INDEX memory_jobs_pending ON memory_jobs (state, id);
CREATE INDEX memory_jobs_user ON memory_jobs (user_id);
CREATE TABLE memory_log (
  subject text NOT NULL,
  seq integer NOT NULL,
  entry jsonb NOT NULL,
  hash text NOT NULL,
  signature text NOT NULL,
  PRIMARY KEY (subject, seq)
);
CREATE TABLE memory_api_keys (
  id text PRIMARY KEY,
  key_hash text NOT NULL UNIQUE,
  user_id text NOT NULL,
  scopes text[] NOT NULL,
  rate_limit integer NOT NULL,
  created_at double precision NOT NULL,
  revoked_at double precision
);
CREATE INDEX memory_api_keys_user ON memory_api_keys (user_id);
CREATE TABLE memory_profiles (
  user_id text PRIMARY KEY,
  revision bigint NOT NULL,
  profile jsonb NOT NULL
);
`,
  },
]

/** Every table that holds per-user data (erase-user must empty them all of that user). */
export const userTables = ['memory_users', 'memory_messages', 'memory_items', 'memory_jobs', 'memory_api_keys', 'memory_profiles'] as const

export async function migrate(store: MemoryStore): Promise<void> {
  await store.query('CREATE TABLE IF NOT EXISTS memory_schema_migrations (version integer PRIMARY KEY, applied_at double precision NOT NULL)')
  const done = new Set((await store.query<{ version: number }>('SELECT version FROM memory_schema_migrations')).map((r) => Number(r.version)))
  for (const m of migrations) {
    if (done.has(m.version)) continue
    await store.transaction(async (tx) => {
      for (const stmt of m.sql.split(';').map((s) => s.trim()).filter(Boolean)) await tx.query(stmt)
      await tx.query('INSERT INTO memory_schema_migrations (version, applied_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [m.version, Date.now()])
    })
  }
}
