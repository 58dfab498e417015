/**
 * The memory service: stores messages, turns them into memories in a durable job queue, retrieves
 * them with hybrid lexical + dense search, and records every memory operation in the user's signed,
 * hash-chained provenance log. Every method takes the user id and touches only that user's rows.
 */
import { createHash, randomBytes } from 'node:crypto'
import { VerityError } from '@verity/protocol'
import type { Category, Extractor, Memory, MemoryType, MessageInput, Profile, ScoredMemory, StoredMessage } from './types.ts'
import { categories as allCategories } from './types.ts'
import type { MemoryStore, Sql } from './store.ts'
import { userTables } from './schema.ts'
import type { Embedder } from './embedder.ts'
import { bytesToVector, normalize, vectorToBytes } from './embedder.ts'
import { contentHash, hashLogEntry, logSubject, sourcesHash, ZERO_HASH, type LogEntry, type LogOp, type SignedLogEntry, type Signer, verifyMemoryLog } from './log.ts'
import { defaultSegmentOptions, segmentMessages, speakerLine, type SegmentMessage, type SegmentOptions } from './segmenter.ts'
import { decisionSchema, decisionSystemPrompt, extractionSchema, extractionSystemPrompt, LlmError, validateDecision, validateExtraction, type Decision, type ExtractedMemory, type Llm } from './llm.ts'
import { UserIndex, type IndexRow } from './searchIndex.ts'
import { tokenize } from './text.ts'
import { formatDay, parseTime, resolveTimeExpressions } from './temporal.ts'
import { assertOptionalId, assertUserId, limits } from './validate.ts'

export type AddParameters = {
  user_id: string
  messages: MessageInput[]
  agent_id?: string | undefined
  thread_id?: string | undefined
  source?: string | undefined
  metadata?: Record<string, unknown> | undefined
}
export type AddReturnType = { status: 'queued' | 'duplicate'; job_id: string | null; message_ids: string[] }

export type SearchParameters = {
  user_id: string
  query: string
  limit?: number | undefined
  categories?: Category[] | undefined
  agent_id?: string | undefined
  thread_id?: string | undefined
  /** Only what was known at this time (ISO 8601 or epoch ms); relative dates in the query resolve against it. */
  as_of?: string | number | undefined
  include_profile?: boolean | undefined
}
export type SearchReturnType = { memories: ScoredMemory[]; profile?: Profile | undefined }

export type ListParameters = { user_id: string; limit?: number | undefined; cursor?: string | undefined; categories?: Category[] | undefined; agent_id?: string | undefined; thread_id?: string | undefined }
export type ListReturnType = { memories: Memory[]; next_cursor: string | null }
export type UpdateParameters = { user_id: string; id: string; text?: string | undefined; categories?: Category[] | undefined; importance?: number | undefined; type?: MemoryType | undefined; metadata?: Record<string, unknown> | undefined }
export type TraceReturnType = { memory: Memory; messages: StoredMessage[]; operations: SignedLogEntry[] }
export type ExportReturnType = { user_id: string; exported_at: string; messages: StoredMessage[]; memories: Memory[]; profile: Profile; log: SignedLogEntry[] }

export type RetrievalOptions = {
  /** Weight of the lexical (BM25) and dense lists in reciprocal-rank fusion. */
  lexicalWeight: number
  denseWeight: number
  /** RRF constant k in 1/(k + rank). */
  rrfK: number
  /** Candidates taken from each list before fusion. */
  candidates: number
  /** Penalty (0..1) for a result whose source messages are already covered by better results. */
  overlapPenalty: number
}
export const defaultRetrievalOptions: RetrievalOptions = { lexicalWeight: 1, denseWeight: 0.5, rrfK: 20, candidates: 200, overlapPenalty: 0.7 }

export type CreateMemoryServiceParameters = {
  store: MemoryStore
  embedder: Embedder
  signer: Signer
  llm?: Llm | undefined
  clock?: (() => number) | undefined
  /** Start the background worker (default true). With false, call `processJobs()` yourself. */
  worker?: boolean | undefined
  /** How long a claimed job stays reserved for its worker (default 60 s); after that another may take it. */
  jobLeaseMs?: number | undefined
  maxJobAttempts?: number | undefined
  segment?: Partial<SegmentOptions> | undefined
  retrieval?: Partial<RetrievalOptions> | undefined
  /**
   * Where dense retrieval runs. `auto` (default): pgvector's HNSW index on a PostgreSQL server that has
   * the extension, the in-process index otherwise, PGlite included: PGlite ships pgvector, but its HNSW
   * runs in WASM, measured (npm run bench -- memory) an order of magnitude slower than the in-process
   * SIMD scan to search and ~8 ms per vector to insert. `pgvector` forces it (needs the extension);
   * `in-process` forces the in-process index.
   */
  vectorIndex?: 'auto' | 'pgvector' | 'in-process' | undefined
}

export type MemoryService = ReturnType<typeof createMemoryService>

type ItemRow = {
  user_id: string
  id: string
  text: string
  categories: string[]
  type: string
  importance: number
  event_time: number
  record_time: number
  updated_at: number
  sources: string[]
  extractor: string
  agent_id: string | null
  thread_id: string | null
  metadata: Record<string, unknown> | null
  reinforced: number
}
/** What the search index keeps of a memory (all a search result needs) plus its search text. */
const indexColumns = 'id, text, search_text, sources, categories, agent_id, thread_id, event_time, record_time, updated_at, importance, type, extractor, metadata, reinforced'
const itemColumns = 'user_id, id, text, categories, type, importance, event_time, record_time, updated_at, sources, extractor, agent_id, thread_id, metadata, reinforced'

type MessageRow = { id: string; seq: number; role: string; name: string | null; content: string; ts: number; agent_id: string | null; thread_id: string | null; source: string | null; metadata: Record<string, unknown> | null }

type NewItem = {
  id: string
  text: string
  searchText: string
  categories: Category[]
  type: MemoryType
  importance: number
  eventTime: number
  sources: string[]
  extractor: Extractor
  agentId: string | null
  threadId: string | null
  metadata: Record<string, unknown> | null
  embedding: Float32Array
}

type PlannedOp =
  | { kind: 'create'; item: NewItem }
  | { kind: 'update'; id: string; text: string; searchText: string; embedding: Float32Array; sources: string[] }
  | { kind: 'reinforce'; id: string; sources: string[] }
  | { kind: 'delete'; id: string }

class JobAbandoned extends Error {}

const iso = (ms: number) => new Date(ms).toISOString()

function toMemory(r: ItemRow): Memory {
  return {
    id: r.id,
    user_id: r.user_id,
    text: r.text,
    categories: r.categories as Category[],
    type: r.type as MemoryType,
    importance: Number(r.importance),
    event_time: iso(Number(r.event_time)),
    record_time: iso(Number(r.record_time)),
    updated_at: iso(Number(r.updated_at)),
    sources: r.sources,
    extractor: r.extractor as Extractor,
    agent_id: r.agent_id,
    thread_id: r.thread_id,
    metadata: r.metadata,
    reinforced: Number(r.reinforced),
  }
}

function toMessage(r: MessageRow): StoredMessage {
  return { id: r.id, role: r.role, name: r.name, content: r.content, timestamp: iso(Number(r.ts)), agent_id: r.agent_id, thread_id: r.thread_id, source: r.source, metadata: r.metadata }
}

const notFound = (id: string) => new VerityError('NOT_FOUND', `memory ${id} not found`, { details: { id } })

function assertCategories(value: unknown, field = 'categories'): asserts value is Category[] | undefined {
  if (value === undefined) return
  if (!Array.isArray(value)) throw new VerityError('BAD_REQUEST', `${field} must be an array of categories`, { details: { field, allowed: allCategories } })
  for (const c of value) {
    if (!(allCategories as readonly unknown[]).includes(c)) throw new VerityError('BAD_REQUEST', `unknown category ${JSON.stringify(c)} in ${field}; allowed: ${allCategories.join(', ')}`, { details: { field, invalid: c, allowed: allCategories } })
  }
}

/** pgvector's text form, '[0.1,0.2,...]' (float32 values print exactly enough to round-trip). */
function vectorLiteral(v: Float32Array): string {
  return `[${Array.prototype.join.call(v, ',')}]`
}

function deterministicId(prefix: string, ...parts: (string | number)[]): string {
  return `${prefix}_${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24)}`
}

/**
 * Creates the memory service.
 * @example
 * const service = createMemoryService({ store, embedder: createSentenceEncoder(), signer: createLocalSigner(key) })
 * await service.add({ user_id: 'u1', messages: [{ role: 'user', content: 'I moved to Lisbon last month' }] })
 */
export function createMemoryService(params: CreateMemoryServiceParameters) {
  const { store, embedder, signer, llm } = params
  const clock = params.clock ?? Date.now
  const leaseMs = params.jobLeaseMs ?? 60_000
  const maxAttempts = params.maxJobAttempts ?? 5
  const segmentOptions: SegmentOptions = { ...defaultSegmentOptions, ...params.segment }
  const retrieval: RetrievalOptions = { ...defaultRetrievalOptions, ...params.retrieval }
  const indexes = new Map<string, Promise<UserIndex>>()
  // pgvector: vectors of this embedder's size live in their own table (a vector column has one size).
  const vectorIndex = params.vectorIndex ?? 'auto'
  if (vectorIndex === 'pgvector' && !store.pgvector) throw new VerityError('BAD_REQUEST', `vectorIndex 'pgvector' needs the pgvector extension, which this ${store.kind} database does not have; use 'auto' or 'in-process'`, { details: { field: 'vectorIndex' } })
  const densePgvector = vectorIndex === 'pgvector' || (vectorIndex === 'auto' && store.kind === 'postgres' && store.pgvector)
  // Vectors are kept in pgvector only while it serves dense retrieval; a later start in pgvector mode
  // brings the table up to date (missing or older vectors are rewritten from memory_items).
  const vectorTable = densePgvector ? `memory_vectors_${embedder.dimensions}` : null
  let vectorsReady: Promise<void> | null = null
  let stopping = false
  // PGlite runs no autovacuum, so nothing refreshes the planner's statistics; without them a grown
  // memory_items is planned as if empty. The worker runs ANALYZE itself after enough new rows.
  let insertedSinceAnalyze = 0
  let workerRunning: Promise<void> | null = null
  let kickPending = false
  let pollTimer: NodeJS.Timeout | null = null
  const idleWaiters: (() => void)[] = []

  // ---------------------------------------------------------------- helpers shared by writes

  async function lockUser(tx: Sql, userId: string): Promise<{ revision: number; messageSeq: number }> {
    await tx.query('INSERT INTO memory_users (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING', [userId])
    const [row] = await tx.query<{ revision: number; message_seq: number }>('SELECT revision, message_seq FROM memory_users WHERE user_id = $1 FOR UPDATE', [userId])
    return { revision: Number(row!.revision), messageSeq: Number(row!.message_seq) }
  }

  async function bumpRevision(tx: Sql, userId: string): Promise<number> {
    const [row] = await tx.query<{ revision: number }>('UPDATE memory_users SET revision = revision + 1 WHERE user_id = $1 RETURNING revision', [userId])
    return Number(row!.revision)
  }

  /** Creates this embedder's pgvector table and index once, and fills in vectors written while it was missing. */
  function ensureVectors(): Promise<void> {
    if (vectorTable === null) return Promise.resolve()
    vectorsReady ??= (async () => {
      await store.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(7302551909123457)')
        // The foreign key removes a vector with its memory: delete, bulk delete and erase-user need nothing more.
        await tx.query(`CREATE TABLE IF NOT EXISTS ${vectorTable} (
          user_id text NOT NULL, id text NOT NULL, embedding vector(${embedder.dimensions}) NOT NULL, updated_at double precision NOT NULL,
          PRIMARY KEY (user_id, id), FOREIGN KEY (user_id, id) REFERENCES memory_items (user_id, id) ON DELETE CASCADE)`)
        await tx.query(`CREATE INDEX IF NOT EXISTS ${vectorTable}_hnsw ON ${vectorTable} USING hnsw (embedding vector_ip_ops)`)
      })
      for (;;) {
        const missing = await store.query<{ user_id: string; id: string; embedding: string; updated_at: number }>(
          `SELECT i.user_id, i.id, encode(i.embedding, 'base64') AS embedding, i.updated_at FROM memory_items i LEFT JOIN ${vectorTable} v ON v.user_id = i.user_id AND v.id = i.id
           WHERE (v.id IS NULL OR v.updated_at < i.updated_at) AND octet_length(i.embedding) = $1 LIMIT 500`,
          [embedder.dimensions * 4],
        )
        if (missing.length === 0) break
        await store.transaction(async (tx) => {
          for (const m of missing) await writeVector(tx, m.user_id, m.id, bytesToVector(Buffer.from(m.embedding, 'base64')), Number(m.updated_at))
        })
      }
    })()
    vectorsReady.catch(() => { vectorsReady = null })
    return vectorsReady
  }

  /** `updatedAt`: the memory row's updated_at, so a start in pgvector mode can tell a stale vector. */
  async function writeVector(tx: Sql, userId: string, id: string, v: Float32Array, updatedAt: number): Promise<void> {
    if (vectorTable === null || v.length !== embedder.dimensions) return
    await tx.query(`INSERT INTO ${vectorTable} (user_id, id, embedding, updated_at) VALUES ($1, $2, $3::vector, $4) ON CONFLICT (user_id, id) DO UPDATE SET embedding = EXCLUDED.embedding, updated_at = EXCLUDED.updated_at`, [userId, id, vectorLiteral(v), updatedAt])
  }

  /** The k nearest memories of the user by inner product, through the HNSW index (filtered while it walks). */
  async function pgvectorDense(idx: UserIndex, userId: string, q: Float32Array, k: number, accept: ((doc: number) => boolean) | undefined): Promise<[number, number][]> {
    const want = Math.min(1000, accept === undefined ? k : k * 4)
    const rows = await store.transaction(async (tx) => {
      // relaxed_order: the index keeps scanning past other users' vectors until `want` rows of this user are found.
      await tx.query("SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)", [String(Math.max(want, 40))])
      return tx.query<{ id: string; score: number }>(`SELECT id, -(embedding <#> $2::vector) AS score FROM ${vectorTable} WHERE user_id = $1 ORDER BY embedding <#> $2::vector LIMIT $3`, [userId, vectorLiteral(q), want])
    })
    const out: [number, number][] = []
    for (const r of rows) {
      const n = idx.byId.get(r.id)
      if (n !== undefined && (accept === undefined || accept(n))) out.push([n, Number(r.score)])
    }
    out.sort((a, b) => b[1] - a[1] || a[0] - b[0])
    return out.slice(0, k)
  }

  async function appendLog(tx: Sql, userId: string, ops: { op: LogOp; memoryId: string | null; content: { text: string; categories: readonly string[]; type: string; event_time: string } | null; sources: readonly string[] | null; job?: string | undefined }[]): Promise<void> {
    const subject = logSubject(userId)
    const [head] = await tx.query<{ seq: number; hash: string }>('SELECT seq, hash FROM memory_log WHERE subject = $1 ORDER BY seq DESC LIMIT 1', [subject])
    let seq = head === undefined ? 0 : Number(head.seq) + 1
    let prev = (head?.hash ?? ZERO_HASH) as `0x${string}`
    const at = iso(clock())
    for (const o of ops) {
      const entry: LogEntry = {
        v: 1,
        subject,
        seq,
        prev,
        op: o.op,
        memory_id: o.memoryId,
        content_hash: o.content === null ? null : contentHash(o.content),
        sources_hash: o.sources === null ? null : sourcesHash(o.sources),
        at,
        ...(o.job === undefined ? {} : { job: o.job }),
      }
      const hash = hashLogEntry(entry)
      const signature = await signer.sign(Buffer.from(hash.slice(2), 'hex'))
      await tx.query('INSERT INTO memory_log (subject, seq, entry, hash, signature) VALUES ($1, $2, $3::jsonb, $4, $5)', [subject, seq, JSON.stringify(entry), hash, signature])
      prev = hash
      seq++
    }
  }

  async function getIndex(userId: string): Promise<UserIndex> {
    const [row] = await store.query<{ revision: number }>('SELECT revision FROM memory_users WHERE user_id = $1', [userId])
    const revision = row === undefined ? -1 : Number(row.revision)
    const cached = indexes.get(userId)
    if (cached !== undefined) {
      const idx = await cached
      if (idx.revision === revision) return idx
    }
    const loading = (async () => {
      const idx = new UserIndex(revision, embedder.dimensions, { withVectors: !densePgvector })
      if (revision >= 0) {
        // Vectors travel as base64 text: both drivers parse bytea's hex text form several times slower.
        // With pgvector they stay in the database: the index loads the lexical half only.
        const rows = await store.query<Omit<IndexRow, 'embedding'> & { embedding: string | null }>(
          `SELECT ${indexColumns}, ${densePgvector ? 'NULL' : "encode(embedding, 'base64')"} AS embedding FROM memory_items WHERE user_id = $1 ORDER BY record_time, id`,
          [userId],
        )
        for (const r of rows) idx.add({ ...r, embedding: r.embedding === null ? null : new Uint8Array(Buffer.from(r.embedding, 'base64')) })
      }
      return idx
    })()
    indexes.set(userId, loading)
    loading.catch(() => indexes.delete(userId))
    return loading
  }

  /** After a commit by this process: apply the change to a cached index, if it was current. */
  async function patchIndex(userId: string, fromRevision: number, toRevision: number, apply: (idx: UserIndex) => void): Promise<void> {
    const cached = indexes.get(userId)
    if (cached === undefined) return
    const idx = await cached.catch(() => null)
    if (idx === null) return
    if (idx.revision !== fromRevision) {
      indexes.delete(userId)
      return
    }
    apply(idx)
    idx.revision = toRevision
  }

  const itemIndexRow = (i: NewItem, recordTime: number): IndexRow => ({
    id: i.id,
    text: i.text,
    updated_at: recordTime,
    metadata: i.metadata,
    reinforced: 0,
    search_text: i.searchText,
    sources: i.sources,
    categories: i.categories,
    agent_id: i.agentId,
    thread_id: i.threadId,
    event_time: i.eventTime,
    record_time: recordTime,
    importance: i.importance,
    type: i.type,
    extractor: i.extractor,
    embedding: vectorToBytes(i.embedding),
  })

  async function insertItem(tx: Sql, userId: string, i: NewItem, now: number): Promise<boolean> {
    const rows = await tx.query<{ id: string }>(
      `INSERT INTO memory_items (user_id, id, text, search_text, categories, type, importance, event_time, record_time, updated_at, sources, extractor, agent_id, thread_id, metadata, embedding)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9,$10,$11,$12,$13,$14::jsonb,$15) ON CONFLICT (user_id, id) DO NOTHING RETURNING id`,
      [userId, i.id, i.text, i.searchText, i.categories, i.type, i.importance, i.eventTime, now, i.sources, i.extractor, i.agentId, i.threadId, i.metadata === null ? null : JSON.stringify(i.metadata), vectorToBytes(i.embedding)],
    )
    if (rows.length > 0) {
      insertedSinceAnalyze++
      await writeVector(tx, userId, i.id, i.embedding, now)
    }
    return rows.length > 0
  }

  async function getItemRow(sql: Sql, userId: string, id: string): Promise<ItemRow | undefined> {
    const [row] = await sql.query<ItemRow>(`SELECT ${itemColumns} FROM memory_items WHERE user_id = $1 AND id = $2`, [userId, id])
    return row
  }

  const contentOf = (r: { text: string; categories: readonly string[]; type: string; event_time: number }) => ({ text: r.text, categories: r.categories, type: r.type, event_time: iso(Number(r.event_time)) })

  function memorySearchText(text: string, cats: readonly string[], eventTime: number): string {
    return `${text}\n${cats.join(' ')} ${formatDay(eventTime)}`
  }

  // ---------------------------------------------------------------- add + job queue

  async function add(p: AddParameters): Promise<AddReturnType> {
    if (typeof p !== 'object' || p === null) throw new VerityError('BAD_REQUEST', 'add expects an object { messages, user_id }')
    assertUserId(p.user_id)
    assertOptionalId(p.agent_id, 'agent_id')
    assertOptionalId(p.thread_id, 'thread_id')
    assertOptionalId(p.source, 'source')
    if (!Array.isArray(p.messages) || p.messages.length === 0) throw new VerityError('BAD_REQUEST', 'messages must be a non-empty array of { role, content }', { details: { field: 'messages' } })
    if (p.messages.length > limits.maxMessages) throw new VerityError('INPUT_TOO_LARGE', `messages holds ${p.messages.length} items; at most ${limits.maxMessages} per call`, { details: { field: 'messages', max: limits.maxMessages } })
    if (p.metadata !== undefined && (typeof p.metadata !== 'object' || p.metadata === null || Array.isArray(p.metadata))) throw new VerityError('BAD_REQUEST', 'metadata must be an object', { details: { field: 'metadata' } })
    const now = clock()
    const seen = new Set<string>()
    const msgs = p.messages.map((m, i) => {
      const where = `messages[${i}]`
      if (typeof m !== 'object' || m === null) throw new VerityError('BAD_REQUEST', `${where} must be an object { role, content }`, { details: { field: where } })
      if (typeof m.role !== 'string' || m.role.length === 0 || m.role.length > 64) throw new VerityError('BAD_REQUEST', `${where}.role must be a non-empty string (e.g. "user", "assistant")`, { details: { field: `${where}.role` } })
      if (typeof m.content !== 'string' || m.content.trim().length === 0) throw new VerityError('BAD_REQUEST', `${where}.content must be a non-empty string`, { details: { field: `${where}.content` } })
      if (m.content.length > limits.maxContentChars) throw new VerityError('INPUT_TOO_LARGE', `${where}.content has ${m.content.length} characters; at most ${limits.maxContentChars}`, { details: { field: `${where}.content`, max: limits.maxContentChars } })
      assertOptionalId(m.id, `${where}.id`)
      assertOptionalId(m.name, `${where}.name`)
      let ts = now
      if (m.timestamp !== undefined) {
        const t = parseTime(m.timestamp)
        if (t === null) throw new VerityError('BAD_REQUEST', `${where}.timestamp ${JSON.stringify(m.timestamp)} is not an ISO 8601 date or epoch milliseconds`, { details: { field: `${where}.timestamp` } })
        ts = t
      }
      const id = m.id ?? `msg_${randomBytes(12).toString('hex')}`
      if (seen.has(id)) throw new VerityError('BAD_REQUEST', `${where}.id ${JSON.stringify(id)} appears twice in this call`, { details: { field: `${where}.id` } })
      seen.add(id)
      return { id, role: m.role, name: m.name ?? null, content: m.content, ts }
    })
    const result = await store.transaction(async (tx) => {
      const { messageSeq } = await lockUser(tx, p.user_id)
      const existing = new Set((await tx.query<{ id: string }>('SELECT id FROM memory_messages WHERE user_id = $1 AND id = ANY($2)', [p.user_id, msgs.map((m) => m.id)])).map((r) => r.id))
      const fresh = msgs.filter((m) => !existing.has(m.id))
      if (fresh.length === 0) return { status: 'duplicate' as const, job_id: null, message_ids: msgs.map((m) => m.id) }
      const seq = messageSeq + fresh.length
      // One statement for the whole batch: the write path stays fast for long sessions.
      await tx.query(
        `INSERT INTO memory_messages (user_id, id, seq, role, name, content, ts, agent_id, thread_id, source, metadata, created_at)
         SELECT $1, u.id, $2::bigint + u.ord, u.role, u.name, u.content, u.ts, $3, $4, $5, $6::jsonb, $7
         FROM unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::float8[]) WITH ORDINALITY AS u(id, role, name, content, ts, ord)`,
        [p.user_id, messageSeq, p.agent_id ?? null, p.thread_id ?? null, p.source ?? null, p.metadata === undefined ? null : JSON.stringify(p.metadata), now,
          fresh.map((m) => m.id), fresh.map((m) => m.role), fresh.map((m) => m.name), fresh.map((m) => m.content), fresh.map((m) => m.ts)],
      )
      await tx.query('UPDATE memory_users SET message_seq = $2 WHERE user_id = $1', [p.user_id, seq])
      const [job] = await tx.query<{ id: string }>(
        `INSERT INTO memory_jobs (user_id, kind, payload, state, created_at, updated_at) VALUES ($1, 'ingest', $2::jsonb, 'pending', $3, $3) RETURNING id`,
        [p.user_id, JSON.stringify({ message_ids: fresh.map((m) => m.id), agent_id: p.agent_id ?? null, thread_id: p.thread_id ?? null }), now],
      )
      return { status: 'queued' as const, job_id: String(job!.id), message_ids: msgs.map((m) => m.id) }
    })
    if (result.status === 'queued') kick()
    return result
  }

  async function claimJob(): Promise<{ id: string; user_id: string; payload: { message_ids: string[]; agent_id: string | null; thread_id: string | null }; attempts: number; token: string } | null> {
    const token = randomBytes(8).toString('hex')
    const now = clock()
    // The oldest job whose user has no job held by someone else, so one user's jobs run in order.
    const rows = await store.query<{ id: string; user_id: string; payload: { message_ids: string[]; agent_id: string | null; thread_id: string | null }; attempts: number }>(
      `UPDATE memory_jobs SET state = 'running', lease_token = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3
       WHERE id = (
         SELECT j.id FROM memory_jobs j
         WHERE (j.state = 'pending' OR (j.state = 'running' AND j.locked_until < $3))
           AND NOT EXISTS (SELECT 1 FROM memory_jobs o WHERE o.user_id = j.user_id AND o.id < j.id AND o.state IN ('pending', 'running'))
         ORDER BY j.id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING id, user_id, payload, attempts`,
      [token, now + leaseMs, now],
    )
    const r = rows[0]
    return r === undefined ? null : { id: String(r.id), user_id: r.user_id, payload: r.payload, attempts: Number(r.attempts), token }
  }

  async function embedAll(texts: string[]): Promise<Float32Array[]> {
    return texts.length === 0 ? [] : embedder.embed(texts)
  }

  /** Each message embedded once; a window's vector is the normalised sum of its messages' vectors. */
  async function meanVectors(messages: MessageRow[], segments: { sources: string[] }[]): Promise<Float32Array[]> {
    const needed = new Set(segments.flatMap((s) => s.sources))
    const list = messages.filter((m) => needed.has(m.id))
    const vecs = await embedAll(list.map((m) => speakerLine(m)))
    const byId = new Map(list.map((m, i) => [m.id, vecs[i]!]))
    return segments.map((s) => {
      const v = new Float32Array(embedder.dimensions)
      for (const id of s.sources) {
        const x = byId.get(id)!
        for (let i = 0; i < v.length; i++) v[i]! += x[i]!
      }
      return normalize(v)
    })
  }

  async function planLlmOps(userId: string, jobId: string, msgs: MessageRow[], agentId: string | null, threadId: string | null): Promise<{ ops: PlannedOp[]; error: string | null }> {
    if (llm === undefined) return { ops: [], error: null }
    try {
      const ids = new Set(msgs.map((m) => m.id))
      const transcript = msgs.map((m) => `[${m.id}] (${iso(Number(m.ts))}) ${speakerLine(m)}`).join('\n')
      const extracted: ExtractedMemory[] = await llm.completeJson({ system: extractionSystemPrompt, user: transcript, schemaName: 'memories', schema: extractionSchema, validate: (v) => validateExtraction(v, ids) })
      const ops: PlannedOp[] = []
      const touched = new Set<string>()
      for (let i = 0; i < extracted.length; i++) {
        const e = extracted[i]!
        const eventTime = parseTime(e.event_time) ?? Math.max(...msgs.filter((m) => e.source_ids.includes(m.id)).map((m) => Number(m.ts)))
        const searchText = memorySearchText(e.text, e.categories, eventTime)
        const [embedding] = await embedAll([searchText])
        const similar = (await searchInternal({ user_id: userId, query: e.text, limit: 5 }, embedding!, (d) => d.extractor === 'llm')).filter((s) => !touched.has(s.id))
        let decision: Decision = { action: 'CREATE', target_id: null, text: null }
        if (similar.length > 0) {
          const candidates = new Set(similar.map((s) => s.id))
          decision = await llm.completeJson({
            system: decisionSystemPrompt,
            user: `NEW: ${e.text}\nEXISTING:\n${similar.map((s) => `[${s.id}] ${s.text}`).join('\n')}`,
            schemaName: 'decision',
            schema: decisionSchema,
            validate: (v) => validateDecision(v, candidates),
          })
        }
        const item: NewItem = { id: deterministicId('mem', jobId, 'llm', i), text: e.text, searchText, categories: e.categories, type: e.type, importance: e.importance, eventTime, sources: e.source_ids, extractor: 'llm', agentId, threadId, metadata: null, embedding: embedding! }
        if (decision.action === 'CREATE') ops.push({ kind: 'create', item })
        else if (decision.action === 'REINFORCE') {
          ops.push({ kind: 'reinforce', id: decision.target_id!, sources: e.source_ids })
          touched.add(decision.target_id!)
        } else if (decision.action === 'UPDATE') {
          const text = decision.text!
          const st = memorySearchText(text, e.categories, eventTime)
          const [emb] = await embedAll([st])
          ops.push({ kind: 'update', id: decision.target_id!, text, searchText: st, embedding: emb!, sources: e.source_ids })
          touched.add(decision.target_id!)
        } else {
          ops.push({ kind: 'delete', id: decision.target_id! }, { kind: 'create', item })
          touched.add(decision.target_id!)
        }
      }
      return { ops, error: null }
    } catch (error) {
      if (error instanceof LlmError) return { ops: [], error: error.message }
      throw error
    }
  }

  async function processJob(job: NonNullable<Awaited<ReturnType<typeof claimJob>>>): Promise<void> {
    const { user_id: userId, payload } = job
    const msgs = await store.query<MessageRow>('SELECT id, seq, role, name, content, ts, agent_id, thread_id, source, metadata FROM memory_messages WHERE user_id = $1 AND id = ANY($2) ORDER BY seq', [userId, payload.message_ids])
    let history: MessageRow[] = []
    if (msgs.length > 0 && segmentOptions.window > 1) {
      history = (
        await store.query<MessageRow>(
          `SELECT id, seq, role, name, content, ts, agent_id, thread_id, source, metadata FROM memory_messages
           WHERE user_id = $1 AND seq < $2 AND thread_id IS NOT DISTINCT FROM $3 ORDER BY seq DESC LIMIT $4`,
          [userId, msgs[0]!.seq, payload.thread_id, segmentOptions.window - 1],
        )
      ).reverse()
    }
    const asSeg = (m: MessageRow): SegmentMessage => ({ id: m.id, role: m.role, name: m.name, content: m.content, ts: Number(m.ts), thread_id: m.thread_id })
    const segments = segmentMessages(history.map(asSeg), msgs.map(asSeg), segmentOptions)
    const vectors = segmentOptions.vectors === 'mean' ? await meanVectors([...history, ...msgs], segments) : await embedAll(segments.map((s) => s.searchText))
    const ops: PlannedOp[] = segments.map((s, i) => ({
      kind: 'create',
      item: { id: deterministicId('mem', job.id, 'seg', i), text: s.text, searchText: s.searchText, categories: s.categories, type: 'episodic', importance: 0.3, eventTime: s.eventTime, sources: s.sources, extractor: 'segmenter', agentId: payload.agent_id, threadId: payload.thread_id, metadata: null, embedding: vectors[i]! },
    }))
    const planned = await planLlmOps(userId, job.id, msgs, payload.agent_id, payload.thread_id)
    ops.push(...planned.ops)
    if (stopping) throw new JobAbandoned()
    const now = clock()
    const applied: { add: IndexRow[]; remove: string[] } = { add: [], remove: [] }
    const revisions = await store.transaction(async (tx) => {
      const { revision } = await lockUser(tx, userId)
      const [held] = await tx.query<{ id: string }>(`SELECT id FROM memory_jobs WHERE id = $1 AND state = 'running' AND lease_token = $2 FOR UPDATE`, [job.id, job.token])
      if (held === undefined) throw new JobAbandoned() // another worker took it over, or the user was erased
      const log: Parameters<typeof appendLog>[2] = []
      for (const op of ops) {
        if (op.kind === 'create') {
          if (await insertItem(tx, userId, op.item, now)) {
            log.push({ op: 'create', memoryId: op.item.id, content: { text: op.item.text, categories: op.item.categories, type: op.item.type, event_time: iso(op.item.eventTime) }, sources: op.item.sources, job: job.id })
            applied.add.push(itemIndexRow(op.item, now))
          }
          continue
        }
        const row = await getItemRow(tx, userId, op.id)
        if (row === undefined) continue
        if (op.kind === 'delete') {
          await tx.query('DELETE FROM memory_items WHERE user_id = $1 AND id = $2', [userId, op.id])
          log.push({ op: 'delete', memoryId: op.id, content: contentOf(row), sources: row.sources, job: job.id })
          applied.remove.push(op.id)
        } else {
          const sources = [...new Set([...row.sources, ...op.sources])]
          if (op.kind === 'reinforce') {
            await tx.query('UPDATE memory_items SET reinforced = reinforced + 1, sources = $3, updated_at = $4 WHERE user_id = $1 AND id = $2', [userId, op.id, sources, now])
            log.push({ op: 'reinforce', memoryId: op.id, content: contentOf(row), sources, job: job.id })
          } else {
            await tx.query('UPDATE memory_items SET text = $3, search_text = $4, embedding = $5, sources = $6, updated_at = $7 WHERE user_id = $1 AND id = $2', [userId, op.id, op.text, op.searchText, vectorToBytes(op.embedding), sources, now])
            await writeVector(tx, userId, op.id, op.embedding, now)
            log.push({ op: 'update', memoryId: op.id, content: contentOf({ ...row, text: op.text }), sources, job: job.id })
          }
          const [fresh] = await tx.query<IndexRow>(`SELECT ${indexColumns}, embedding FROM memory_items WHERE user_id = $1 AND id = $2`, [userId, op.id])
          applied.add.push(fresh!)
        }
      }
      if (log.length > 0) await appendLog(tx, userId, log)
      const next = log.length > 0 ? await bumpRevision(tx, userId) : revision
      await tx.query(`UPDATE memory_jobs SET state = 'done', lease_token = NULL, last_error = $2, updated_at = $3 WHERE id = $1`, [job.id, planned.error, now])
      return { from: revision, to: next }
    })
    if (revisions.to !== revisions.from) {
      await patchIndex(userId, revisions.from, revisions.to, (idx) => {
        for (const id of applied.remove) idx.remove(id)
        for (const r of applied.add) idx.add(r)
      })
    }
  }

  /** Processes queued jobs until none is left (or the service is closing). Returns how many ran. */
  async function processJobs(): Promise<number> {
    await ensureVectors()
    try {
      return await runJobs()
    } finally {
      if (store.kind === 'pglite' && insertedSinceAnalyze >= 5000) {
        insertedSinceAnalyze = 0
        await store.query('ANALYZE memory_items').catch(() => undefined)
      }
    }
  }

  async function runJobs(): Promise<number> {
    let count = 0
    while (!stopping) {
      const job = await claimJob()
      if (job === null) break
      try {
        await processJob(job)
        count++
      } catch (error) {
        if (error instanceof JobAbandoned) {
          if (stopping) break
          continue
        }
        const failed = job.attempts >= maxAttempts
        await store.query(`UPDATE memory_jobs SET state = $2, lease_token = NULL, locked_until = NULL, last_error = $3, updated_at = $4 WHERE id = $1 AND lease_token = $5`, [
          job.id,
          failed ? 'failed' : 'pending',
          String((error as Error).message ?? error).slice(0, 500),
          clock(),
          job.token,
        ])
      }
    }
    return count
  }

  function kick(): void {
    if (params.worker === false || stopping) return
    if (workerRunning !== null) {
      kickPending = true
      return
    }
    workerRunning = (async () => {
      do {
        kickPending = false
        try {
          await processJobs()
        } catch {
          // The store failed (e.g. closing); the poll retries later.
        }
      } while (kickPending && !stopping)
    })().finally(() => {
      workerRunning = null
      for (const w of idleWaiters.splice(0)) w()
    })
  }

  if (params.worker !== false) {
    // PGlite is opened by one process only, so jobs left running belong to a process that stopped.
    const startup = store.kind === 'pglite' ? store.query(`UPDATE memory_jobs SET state = 'pending', lease_token = NULL WHERE state = 'running'`) : Promise.resolve([])
    void startup.then(() => kick(), () => undefined)
    pollTimer = setInterval(() => kick(), 1_000)
    pollTimer.unref()
  }

  /** Resolves when no job of `user_id` (or of anyone) is waiting or running. */
  async function flush(userId?: string): Promise<void> {
    for (;;) {
      if (stopping) throw new VerityError('OVERLOADED', 'the memory service is closing; queued jobs resume when it starts again', { details: {} })
      const [row] = await store.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM memory_jobs WHERE state IN ('pending', 'running')${userId === undefined ? '' : ' AND user_id = $1'}`,
        userId === undefined ? [] : [userId],
      )
      if (Number(row!.n) === 0) return
      if (params.worker === false) await processJobs()
      else if (workerRunning !== null) await new Promise<void>((r) => idleWaiters.push(r))
      else {
        kick()
        await new Promise((r) => setTimeout(r, 20))
      }
    }
  }

  // ---------------------------------------------------------------- retrieval

  function queryTerms(query: string, asOf: number): Map<string, number> {
    const terms = new Map<string, number>()
    for (const t of tokenize(query)) terms.set(t, (terms.get(t) ?? 0) + 1)
    for (const w of resolveTimeExpressions(query, asOf)) {
      for (const t of tokenize(w.to - w.from <= 86_400_000 ? formatDay(w.from) : '')) terms.set(t, Math.max(terms.get(t) ?? 0, 0.5))
    }
    return terms
  }

  async function searchInternal(p: SearchParameters, queryVector: Float32Array | undefined, extraFilter?: (d: NonNullable<UserIndex['docs'][number]>) => boolean): Promise<ScoredMemory[]> {
    const limit = p.limit ?? 10
    const asOfMs = p.as_of === undefined ? null : parseTime(p.as_of)
    // The query is embedded (in the encoder's thread) while the index is fetched and scored lexically.
    const embedding: Promise<Float32Array | undefined> = queryVector !== undefined ? Promise.resolve(queryVector) : retrieval.denseWeight > 0 ? embedder.embed([p.query]).then((v) => v[0]) : Promise.resolve(undefined)
    embedding.catch(() => undefined)
    await ensureVectors()
    const idx = await getIndex(p.user_id)
    if (idx.liveCount === 0) return []
    const cats = p.categories === undefined || p.categories.length === 0 ? null : new Set(p.categories)
    const filtered = cats !== null || p.agent_id !== undefined || p.thread_id !== undefined || asOfMs !== null || extraFilter !== undefined
    // Without filters every live document qualifies; the index skips removed ones itself.
    const accept = !filtered ? undefined : (n: number): boolean => {
      const d = idx.docs[n]
      if (d === null || d === undefined) return false
      if (cats !== null && !d.categories.some((c) => cats.has(c))) return false
      if (p.agent_id !== undefined && d.agentId !== p.agent_id) return false
      if (p.thread_id !== undefined && d.threadId !== p.thread_id) return false
      if (asOfMs !== null && (d.recordTime > asOfMs || d.eventTime > asOfMs)) return false
      if (extraFilter !== undefined && !extraFilter(d)) return false
      return true
    }
    const ref = asOfMs ?? clock()
    const k = retrieval.candidates
    const lex = idx.bm25.top(queryTerms(p.query, ref), k, accept)
    const qv = await embedding
    const dense = qv === undefined ? [] : densePgvector ? await pgvectorDense(idx, p.user_id, qv, k, accept) : idx.dense(qv, k, accept)
    const fused = new Map<number, number>()
    lex.forEach(([n], r) => fused.set(n, (fused.get(n) ?? 0) + retrieval.lexicalWeight / (retrieval.rrfK + r + 1)))
    dense.forEach(([n], r) => fused.set(n, (fused.get(n) ?? 0) + retrieval.denseWeight / (retrieval.rrfK + r + 1)))
    // Time awareness: a query naming a time favours memories of that time.
    const windows = resolveTimeExpressions(p.query, ref)
    if (windows.length > 0) {
      for (const [n, s] of fused) {
        const t = idx.docs[n]!.eventTime
        if (windows.some((w) => t >= w.from - 86_400_000 && t <= w.to + 86_400_000)) fused.set(n, s * 1.5)
      }
    }
    // Recency: a query asking for the latest state ("recently", "now", "currently") favours recent memories.
    if (/\b(recent|recently|latest|lately|now|current|currently|these days|nowadays|anymore|still)\b/i.test(p.query)) {
      // Measured from the newest candidate, so an old conversation still has a "recent" end.
      let newest = -Infinity
      for (const n of fused.keys()) newest = Math.max(newest, idx.docs[n]!.eventTime)
      for (const [n, s] of fused) fused.set(n, s * (1 + 0.5 * Math.exp(-Math.max(0, newest - idx.docs[n]!.eventTime) / (30 * 86_400_000))))
    }
    // Rerank: greedy, penalising results whose source messages better results already cover.
    const ranked = [...fused].sort((a, b) => b[1] - a[1]).slice(0, Math.max(limit * 4, 50))
    const covered = new Set<string>()
    const picked: [number, number][] = []
    const pool = ranked.map(([n, s]) => ({ n, s }))
    while (picked.length < limit && pool.length > 0) {
      let best = -1
      let bestScore = -Infinity
      for (let i = 0; i < pool.length; i++) {
        const src = idx.docs[pool[i]!.n]!.sources
        const overlap = src.length === 0 ? 0 : src.filter((s) => covered.has(s)).length / src.length
        const eff = pool[i]!.s * (1 - retrieval.overlapPenalty * overlap)
        if (eff > bestScore) {
          bestScore = eff
          best = i
        }
      }
      const { n } = pool.splice(best, 1)[0]!
      picked.push([n, bestScore])
      for (const s of idx.docs[n]!.sources) covered.add(s)
    }
    if (picked.length === 0) return []
    // The index is current as of the revision read at the start of this search: no row is read back.
    return picked.map(([n, score]): ScoredMemory => {
      const d = idx.docs[n]!
      return {
        id: d.id, user_id: p.user_id, text: d.text, categories: d.categories, type: d.type, importance: d.importance,
        event_time: iso(d.eventTime), record_time: iso(d.recordTime), updated_at: iso(d.updatedAt), sources: d.sources,
        extractor: d.extractor, agent_id: d.agentId, thread_id: d.threadId, metadata: d.metadata, reinforced: d.reinforced,
        score: Math.round(score * 1e6) / 1e6,
      }
    })
  }

  async function search(p: SearchParameters): Promise<SearchReturnType> {
    assertUserId(p?.user_id)
    if (typeof p.query !== 'string' || p.query.trim() === '') throw new VerityError('BAD_REQUEST', 'query must be a non-empty string', { details: { field: 'query' } })
    if (p.query.length > limits.maxQueryChars) throw new VerityError('INPUT_TOO_LARGE', `query has ${p.query.length} characters; at most ${limits.maxQueryChars}`, { details: { field: 'query', max: limits.maxQueryChars } })
    if (p.limit !== undefined && (!Number.isInteger(p.limit) || p.limit < 1 || p.limit > limits.maxLimit)) throw new VerityError('BAD_REQUEST', `limit must be an integer 1..${limits.maxLimit}, got ${String(p.limit)}`, { details: { field: 'limit' } })
    assertCategories(p.categories)
    assertOptionalId(p.agent_id, 'agent_id')
    assertOptionalId(p.thread_id, 'thread_id')
    if (p.as_of !== undefined && parseTime(p.as_of) === null) throw new VerityError('BAD_REQUEST', `as_of ${JSON.stringify(p.as_of)} is not an ISO 8601 date or epoch milliseconds`, { details: { field: 'as_of' } })
    const memories = await searchInternal(p, undefined)
    return p.include_profile === true ? { memories, profile: await getProfile({ user_id: p.user_id }) } : { memories }
  }

  // ---------------------------------------------------------------- reads

  async function get(p: { user_id: string; id: string }): Promise<Memory> {
    assertUserId(p?.user_id)
    if (typeof p.id !== 'string' || p.id.length === 0) throw new VerityError('BAD_REQUEST', 'id must be a non-empty string', { details: { field: 'id' } })
    const row = await getItemRow(store, p.user_id, p.id)
    if (row === undefined) throw notFound(p.id)
    return toMemory(row)
  }

  async function list(p: ListParameters): Promise<ListReturnType> {
    assertUserId(p?.user_id)
    const limit = p.limit ?? 50
    if (!Number.isInteger(limit) || limit < 1 || limit > limits.maxLimit) throw new VerityError('BAD_REQUEST', `limit must be an integer 1..${limits.maxLimit}, got ${String(p.limit)}`, { details: { field: 'limit' } })
    assertCategories(p.categories)
    const where = ['user_id = $1']
    const args: unknown[] = [p.user_id]
    if (p.cursor !== undefined) {
      let c: { t: number; id: string }
      try {
        c = JSON.parse(Buffer.from(p.cursor, 'base64url').toString('utf8')) as { t: number; id: string }
        if (typeof c.t !== 'number' || typeof c.id !== 'string') throw new Error('shape')
      } catch {
        throw new VerityError('BAD_REQUEST', 'cursor is not one this API returned; pass next_cursor from the previous page', { details: { field: 'cursor' } })
      }
      args.push(c.t, c.id)
      where.push(`(record_time, id) > ($${args.length - 1}, $${args.length})`)
    }
    if (p.categories !== undefined && p.categories.length > 0) {
      args.push(p.categories)
      where.push(`categories && $${args.length}::text[]`)
    }
    if (p.agent_id !== undefined) {
      args.push(p.agent_id)
      where.push(`agent_id = $${args.length}`)
    }
    if (p.thread_id !== undefined) {
      args.push(p.thread_id)
      where.push(`thread_id = $${args.length}`)
    }
    args.push(limit + 1)
    const rows = await store.query<ItemRow>(`SELECT ${itemColumns} FROM memory_items WHERE ${where.join(' AND ')} ORDER BY record_time, id LIMIT $${args.length}`, args)
    const more = rows.length > limit
    const page = rows.slice(0, limit)
    const last = page.at(-1)
    return { memories: page.map(toMemory), next_cursor: more && last !== undefined ? Buffer.from(JSON.stringify({ t: Number(last.record_time), id: last.id })).toString('base64url') : null }
  }

  async function getLog(p: { user_id: string }): Promise<SignedLogEntry[]> {
    assertUserId(p?.user_id)
    const rows = await store.query<{ entry: LogEntry; hash: `0x${string}`; signature: `0x${string}` }>('SELECT entry, hash, signature FROM memory_log WHERE subject = $1 ORDER BY seq', [logSubject(p.user_id)])
    return rows.map((r) => ({ entry: r.entry, hash: r.hash, signature: r.signature }))
  }

  async function trace(p: { user_id: string; id: string }): Promise<TraceReturnType> {
    const memory = await get(p)
    const messages = await store.query<MessageRow>('SELECT id, seq, role, name, content, ts, agent_id, thread_id, source, metadata FROM memory_messages WHERE user_id = $1 AND id = ANY($2) ORDER BY seq', [p.user_id, memory.sources])
    const operations = (await getLog(p)).filter((e) => e.entry.memory_id === p.id)
    return { memory, messages: messages.map(toMessage), operations }
  }

  async function getProfile(p: { user_id: string }): Promise<Profile> {
    assertUserId(p?.user_id)
    const [u] = await store.query<{ revision: number }>('SELECT revision FROM memory_users WHERE user_id = $1', [p.user_id])
    const revision = u === undefined ? -1 : Number(u.revision)
    const [cached] = await store.query<{ revision: number; profile: Profile }>('SELECT revision, profile FROM memory_profiles WHERE user_id = $1', [p.user_id])
    if (cached !== undefined && Number(cached.revision) === revision) return cached.profile
    const rows = await store.query<ItemRow>(`SELECT ${itemColumns} FROM memory_items WHERE user_id = $1 ORDER BY importance DESC, event_time DESC LIMIT 2000`, [p.user_id])
    const memories = rows.map(toMemory)
    const byCat = new Map<Category, Memory[]>()
    for (const m of memories) for (const c of m.categories) byCat.set(c, [...(byCat.get(c) ?? []), m])
    const clip = (t: string) => (t.length > 240 ? `${t.slice(0, 237)}...` : t).replace(/\s+/g, ' ')
    let profile: Profile = {
      user_id: p.user_id,
      bio: memories.length === 0 ? 'No memories yet.' : `Built from ${memories.length} memories${memories.some((m) => m.extractor === 'llm') ? '' : ' (message segments; no model summarised them)'}. Most important: ${clip(memories[0]!.text)}`,
      categories: allCategories.filter((c) => byCat.has(c)).map((c) => ({ category: c, summary: byCat.get(c)!.slice(0, 3).map((m) => clip(m.text)).join(' | '), memory_count: byCat.get(c)!.length })),
      generator: 'heuristic',
      memory_count: memories.length,
      updated_at: iso(clock()),
    }
    if (llm !== undefined && memories.length > 0) {
      try {
        const answer = await llm.completeJson({
          system: `Write a short third-person bio of the user and one-sentence summaries per category from their memories. Answer JSON {"bio": string, "categories": [{"category": one of ${allCategories.join(', ')}, "summary": string}]}.`,
          user: memories.filter((m) => m.extractor === 'llm').slice(0, 200).map((m) => `- (${m.categories.join(',')}) ${m.text}`).join('\n') || memories.slice(0, 50).map((m) => `- ${m.text}`).join('\n'),
          schemaName: 'profile',
          schema: { type: 'object', additionalProperties: false, required: ['bio', 'categories'], properties: { bio: { type: 'string' }, categories: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['category', 'summary'], properties: { category: { type: 'string', enum: [...allCategories] }, summary: { type: 'string' } } } } } },
          validate: (v) => {
            const o = v as { bio?: unknown; categories?: unknown }
            if (typeof o?.bio !== 'string' || !Array.isArray(o.categories)) return null
            const cats = o.categories as { category?: unknown; summary?: unknown }[]
            if (!cats.every((c) => (allCategories as readonly unknown[]).includes(c.category) && typeof c.summary === 'string')) return null
            return { bio: o.bio, categories: cats as { category: Category; summary: string }[] }
          },
        })
        profile = { ...profile, bio: answer.bio, generator: 'llm', categories: answer.categories.map((c) => ({ category: c.category, summary: c.summary, memory_count: byCat.get(c.category)?.length ?? 0 })) }
      } catch (error) {
        if (!(error instanceof LlmError)) throw error
      }
    }
    if (revision >= 0) await store.query('INSERT INTO memory_profiles (user_id, revision, profile) VALUES ($1, $2, $3::jsonb) ON CONFLICT (user_id) DO UPDATE SET revision = EXCLUDED.revision, profile = EXCLUDED.profile', [p.user_id, revision, JSON.stringify(profile)])
    return profile
  }

  // ---------------------------------------------------------------- writes by the API

  async function update(p: UpdateParameters): Promise<Memory> {
    assertUserId(p?.user_id)
    if (typeof p.id !== 'string' || p.id.length === 0) throw new VerityError('BAD_REQUEST', 'id must be a non-empty string', { details: { field: 'id' } })
    if (p.text !== undefined && (typeof p.text !== 'string' || p.text.trim() === '')) throw new VerityError('BAD_REQUEST', 'text must be a non-empty string', { details: { field: 'text' } })
    if (p.text !== undefined && p.text.length > limits.maxContentChars) throw new VerityError('INPUT_TOO_LARGE', `text has ${p.text.length} characters; at most ${limits.maxContentChars}`, { details: { field: 'text' } })
    assertCategories(p.categories)
    if (p.importance !== undefined && (typeof p.importance !== 'number' || !(p.importance >= 0 && p.importance <= 1))) throw new VerityError('BAD_REQUEST', 'importance must be a number from 0 to 1', { details: { field: 'importance' } })
    if (p.type !== undefined && p.type !== 'semantic' && p.type !== 'episodic') throw new VerityError('BAD_REQUEST', 'type must be "semantic" or "episodic"', { details: { field: 'type' } })
    if (p.text === undefined && p.categories === undefined && p.importance === undefined && p.type === undefined && p.metadata === undefined) throw new VerityError('BAD_REQUEST', 'nothing to update: give text, categories, importance, type or metadata', { details: {} })
    const current = await getItemRow(store, p.user_id, p.id)
    if (current === undefined) throw notFound(p.id)
    const text = p.text ?? current.text
    const cats = p.categories ?? (current.categories as Category[])
    const searchText = current.extractor === 'segmenter' && p.text === undefined ? undefined : memorySearchText(text, cats, Number(current.event_time))
    const embedding = searchText === undefined ? undefined : (await embedder.embed([searchText]))[0]!
    await ensureVectors()
    const now = clock()
    const res = await store.transaction(async (tx) => {
      const { revision } = await lockUser(tx, p.user_id)
      const row = await getItemRow(tx, p.user_id, p.id)
      if (row === undefined) throw notFound(p.id)
      await tx.query(
        `UPDATE memory_items SET text = $3, categories = $4, importance = $5, type = $6, metadata = COALESCE($7::jsonb, metadata), updated_at = $8${searchText === undefined ? '' : ', search_text = $9, embedding = $10'} WHERE user_id = $1 AND id = $2`,
        [p.user_id, p.id, text, cats, p.importance ?? row.importance, p.type ?? row.type, p.metadata === undefined ? null : JSON.stringify(p.metadata), now, ...(searchText === undefined ? [] : [searchText, vectorToBytes(embedding!)])],
      )
      if (embedding !== undefined) await writeVector(tx, p.user_id, p.id, embedding, now)
      await appendLog(tx, p.user_id, [{ op: 'update', memoryId: p.id, content: contentOf({ text, categories: cats, type: p.type ?? row.type, event_time: row.event_time }), sources: row.sources }])
      const next = await bumpRevision(tx, p.user_id)
      const [fresh] = await tx.query<IndexRow>(`SELECT ${indexColumns}, embedding FROM memory_items WHERE user_id = $1 AND id = $2`, [p.user_id, p.id])
      return { from: revision, to: next, fresh: fresh! }
    })
    await patchIndex(p.user_id, res.from, res.to, (idx) => idx.add(res.fresh))
    return get(p)
  }

  async function deleteMany(p: { user_id: string; ids: string[] }): Promise<{ deleted: string[] }> {
    assertUserId(p?.user_id)
    if (!Array.isArray(p.ids) || p.ids.length === 0 || p.ids.length > 1000 || !p.ids.every((i) => typeof i === 'string' && i.length > 0)) {
      throw new VerityError('BAD_REQUEST', 'ids must be a non-empty array of at most 1000 memory ids', { details: { field: 'ids' } })
    }
    const res = await store.transaction(async (tx) => {
      const { revision } = await lockUser(tx, p.user_id)
      const rows = await tx.query<ItemRow>(`DELETE FROM memory_items WHERE user_id = $1 AND id = ANY($2) RETURNING ${itemColumns}`, [p.user_id, [...new Set(p.ids)]])
      if (rows.length === 0) return { from: revision, to: revision, deleted: [] as string[] }
      rows.sort((a, b) => (a.id < b.id ? -1 : 1))
      await appendLog(tx, p.user_id, rows.map((r) => ({ op: 'delete' as const, memoryId: r.id, content: contentOf(r), sources: r.sources })))
      return { from: revision, to: await bumpRevision(tx, p.user_id), deleted: rows.map((r) => r.id) }
    })
    if (res.deleted.length > 0) await patchIndex(p.user_id, res.from, res.to, (idx) => res.deleted.forEach((id) => idx.remove(id)))
    return { deleted: res.deleted }
  }

  async function remove(p: { user_id: string; id: string }): Promise<void> {
    const { deleted } = await deleteMany({ user_id: p?.user_id, ids: [p?.id] })
    if (deleted.length === 0) throw notFound(p.id)
  }

  async function exportUser(p: { user_id: string }): Promise<ExportReturnType> {
    assertUserId(p?.user_id)
    const messages = await store.query<MessageRow>('SELECT id, seq, role, name, content, ts, agent_id, thread_id, source, metadata FROM memory_messages WHERE user_id = $1 ORDER BY seq', [p.user_id])
    const items = await store.query<ItemRow>(`SELECT ${itemColumns} FROM memory_items WHERE user_id = $1 ORDER BY record_time, id`, [p.user_id])
    return { user_id: p.user_id, exported_at: iso(clock()), messages: messages.map(toMessage), memories: items.map(toMemory), profile: await getProfile(p), log: await getLog(p) }
  }

  /** Removes the user's content from every table, queue and cache; the log keeps a signed tombstone. */
  async function eraseUser(p: { user_id: string }): Promise<{ erased: true; log_head: string }> {
    assertUserId(p?.user_id)
    await store.transaction(async (tx) => {
      await lockUser(tx, p.user_id)
      for (const t of userTables) if (t !== 'memory_users') await tx.query(`DELETE FROM ${t} WHERE user_id = $1`, [p.user_id])
      await appendLog(tx, p.user_id, [{ op: 'erase', memoryId: null, content: null, sources: null }])
      await tx.query('DELETE FROM memory_users WHERE user_id = $1', [p.user_id])
    })
    indexes.delete(p.user_id)
    const log = await getLog(p)
    return { erased: true, log_head: log.at(-1)!.hash }
  }

  async function close(): Promise<void> {
    stopping = true
    if (pollTimer !== null) clearInterval(pollTimer)
    if (workerRunning !== null) await workerRunning
    indexes.clear()
  }

  return {
    signerAddress: signer.address,
    add,
    search,
    list,
    get,
    update,
    delete: remove,
    deleteMany,
    export: exportUser,
    eraseUser,
    getProfile,
    getLog,
    trace,
    /** Checks the user's log against this node's address (see verifyMemoryLog). */
    verifyLog: async (p: { user_id: string }) => verifyMemoryLog(await getLog(p), signer.address),
    flush,
    processJobs,
    close,
  }
}
