/**
 * The node's receipt store: every receipt it signs, fetchable by id (the EIP-712 digest). Small inputs
 * and outputs are kept with the receipt so the explorer can show them; large ones only as hashes. The
 * mode evidence (ZK proof, TEE attestation) is kept too, so a receipt can be re-checked from its id.
 */
import { migrate, sql, type Database, type Generated, type Insertable, type Migration } from '@verity/db'
import { tensorMapToJson, VerityError, type Hex, type LlmSettlementMode, type Mode, type Receipt, type StoredReceipt, type TensorMap } from '@verity/protocol'

type ReceiptTables = {
  node_receipts: {
    id: string
    request_id: string
    model_cid: string
    mode: string
    signer: string
    issued_at: number
    receipt: string
    signature: string
    input: string | null
    output: string | null
    latency_ms: number | null
    /** null or 'batch': settled in the node's Merkle batches; 'private': never posted; 'individual': settled alone. */
    settlement: string | null
    proof: string | null
    created_at: Generated<Date | string>
  }
  /** TEE attestation evidence, once per digest: thousands of receipts share one (the node re-attests every few minutes). */
  node_evidence: {
    digest: string
    evidence: string
    created_at: Generated<Date | string>
  }
}

export const receiptMigrations: Migration[] = [
  {
    name: '001-node-receipts',
    up: async (db) => {
      await db.schema.createTable('node_receipts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('model_cid', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('signer', 'text', (c) => c.notNull())
        .addColumn('issued_at', 'bigint', (c) => c.notNull())
        .addColumn('receipt', 'jsonb', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('input', 'jsonb')
        .addColumn('output', 'jsonb')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute()
      await db.schema.createIndex('node_receipts_request').on('node_receipts').column('request_id').execute()
      await db.schema.createIndex('node_receipts_issued').on('node_receipts').column('issued_at').execute()
    },
  },
  {
    // Milliseconds from request to signed receipt, for GET /v1/stats; null for receipts issued before.
    name: '002-receipt-latency',
    up: async (db) => {
      await db.schema.alterTable('node_receipts').addColumn('latency_ms', 'integer').execute()
    },
  },
  {
    // How the receipt is settled (LLM requests choose per request); null = the Merkle batch queue.
    name: '003-receipt-settlement',
    up: async (db) => {
      await db.schema.alterTable('node_receipts').addColumn('settlement', 'text').execute()
    },
  },
  {
    // The result's mode evidence (ZKML proof and public signals, TEE attestation), so the explorer can
    // re-check it from the receipt alone; null for VANILLA, oversized evidence, and receipts issued before.
    name: '004-receipt-proof',
    up: async (db) => {
      await db.schema.alterTable('node_receipts').addColumn('proof', 'jsonb').execute()
    },
  },
  {
    // TEE receipts keep their attestation evidence here, once per digest (their receipt's proofHash),
    // instead of a copy per receipt in node_receipts.proof (which keeps ZKML proofs, unique per receipt).
    name: '005-shared-evidence',
    up: async (db) => {
      await db.schema.createTable('node_evidence')
        .addColumn('digest', 'text', (c) => c.primaryKey())
        .addColumn('evidence', 'jsonb', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute()
    },
  },
]

/** A receipt to store, with what it commits to. */
export type ReceiptEntry = {
  /** The receipt's EIP-712 digest. */
  id: Hex
  /** What ran: a model CID, or e.g. "llm:provider/model". */
  model: string
  receipt: Receipt
  signature: Hex
  latencyMs?: number | undefined
  settlement?: LlmSettlementMode | undefined
  /** What the receipt's proofHash commits to (ZK proof, TEE attestation evidence). */
  proof?: unknown
  /** Tensor inferences: the tensors, kept (as base64 JSON) when small. LLM answers keep no prompts or answers. */
  input?: TensorMap | undefined
  output?: TensorMap | undefined
}

/** Tensors larger than this (as JSON) are stored as hashes only. */
const KEEP_TENSORS_UNDER = 64 * 1024
/** Mode evidence larger than this (as JSON) is not kept: a certificate chain fits, a runaway object does not. */
const KEEP_PROOF_UNDER = 256 * 1024

export type ReceiptStoreOptions = {
  /**
   * When a receipt counts as stored. 'before-response' (the caller awaits the commit): nothing a
   * client was answered can be lost by a crash. 'after-response' (default): save() resolves at once
   * and receipts are committed in groups within `groupCommitMs`; a crash loses at most that window
   * of the node's own copies. The client always holds its signed receipt; what the node would lose is
   * its record (for settlement fees and the explorer). GET by id sees a receipt before it commits.
   */
  durability?: 'before-response' | 'after-response' | undefined
  /** Longest a receipt waits for its group commit in 'after-response' mode. Default 20 ms. */
  groupCommitMs?: number | undefined
  /** Told about a group that failed to commit in 'after-response' mode (nobody is waiting on it). */
  onCommitError?: ((error: unknown, ids: string[]) => void) | undefined
}

export async function createReceiptStore(database: Database, options: ReceiptStoreOptions = {}) {
  await migrate(database, receiptMigrations, { namespace: 'node' })
  const db = database.db.withTables<ReceiptTables>()
  const durability = options.durability ?? 'after-response'
  const groupCommitMs = options.groupCommitMs ?? 20
  const small = (t: TensorMap | undefined): string | null => {
    if (t === undefined) return null
    // Measured before encoding: megabyte outputs are not encoded just to be measured.
    let atLeast = 0
    for (const tensor of Object.values(t)) atLeast += ArrayBuffer.isView(tensor.data) ? Math.ceil(tensor.data.byteLength / 3) * 4 : tensor.data.length * 2
    if (atLeast > KEEP_TENSORS_UNDER) return null
    const text = JSON.stringify(tensorMapToJson(t, 'base64'))
    return text.length <= KEEP_TENSORS_UNDER ? text : null
  }
  const proofText = (proof: unknown): string | null => {
    if (proof === undefined || proof === null) return null
    const text = JSON.stringify(proof)
    return text !== undefined && text.length <= KEEP_PROOF_UNDER ? text : null
  }
  type Row = Insertable<ReceiptTables['node_receipts']> & { id: string }
  type Entry = ReceiptEntry & { createdAt: Date }
  /** TEE evidence is shared by digest (the receipt's proofHash); other mode evidence stays with its receipt. */
  const sharesEvidence = (e: Entry) => e.receipt.mode === 'TEE' && e.proof !== undefined && e.proof !== null
  // Built when the group commits, after the answer has left: encoding the tensors is off the request's path.
  const rowOf = (e: Entry): Row => ({
    id: e.id, request_id: e.receipt.requestId, model_cid: e.model, mode: e.receipt.mode, signer: e.receipt.node,
    issued_at: e.receipt.timestamp, receipt: JSON.stringify(e.receipt), signature: e.signature, input: small(e.input), output: small(e.output),
    latency_ms: e.latencyMs === undefined ? null : Math.round(e.latencyMs), settlement: e.settlement ?? null,
    proof: sharesEvidence(e) ? null : proofText(e.proof), created_at: e.createdAt,
  })
  /** Evidence digests known to be in node_evidence (bounded: a node re-attests every few minutes). */
  const storedEvidence = new Set<string>()
  const evidenceRows = (entries: Entry[]): Array<{ digest: string; evidence: string }> => {
    const rows = new Map<string, string>()
    for (const e of entries) {
      if (!sharesEvidence(e) || storedEvidence.has(e.receipt.proofHash) || rows.has(e.receipt.proofHash)) continue
      const text = proofText(e.proof)
      if (text !== null) rows.set(e.receipt.proofHash, text)
    }
    return [...rows].map(([digest, evidence]) => ({ digest, evidence }))
  }
  // Group commit: receipts saved close together share one multi-row INSERT (one transaction, one
  // fsync). Uncommitted entries stay readable by id from `uncommitted`.
  let pending: Array<{ entry: Entry; done: (error?: unknown) => void }> = []
  const uncommitted = new Map<string, Entry>()
  let flushing: Promise<void> | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  const flush = async (): Promise<void> => {
    while (pending.length > 0) {
      const batch = pending
      pending = []
      try {
        const evidence = evidenceRows(batch.map((b) => b.entry))
        await db.transaction().execute(async (trx) => {
          if (evidence.length > 0) await trx.insertInto('node_evidence').values(evidence).onConflict((oc) => oc.column('digest').doNothing()).execute()
          // A receipt's id is the digest of all its fields: the same id twice is the same receipt.
          await trx.insertInto('node_receipts').values(batch.map((b) => rowOf(b.entry))).onConflict((oc) => oc.column('id').doNothing()).execute()
        })
        if (storedEvidence.size > 1_000) storedEvidence.clear()
        for (const e of evidence) storedEvidence.add(e.digest)
        for (const b of batch) b.done()
      } catch (error) {
        for (const b of batch) b.done(error)
      } finally {
        for (const b of batch) uncommitted.delete(b.entry.id)
      }
    }
    flushing = null
  }
  const startFlush = () => {
    if (timer !== null) { clearTimeout(timer); timer = null }
    flushing ??= flush()
    return flushing
  }
  const flushAll = async (): Promise<void> => {
    while (pending.length > 0 || flushing !== null) await startFlush()
  }
  const enqueue = (entry: Entry): Promise<void> => {
    uncommitted.set(entry.id, entry)
    if (durability === 'after-response') {
      pending.push({ entry, done: (error) => { if (error !== undefined) options.onCommitError?.(error, [entry.id]) } })
      if (flushing === null && timer === null) timer = setTimeout(startFlush, groupCommitMs)
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      pending.push({ entry, done: (error) => (error === undefined ? resolve() : reject(error)) })
      startFlush()
    })
  }
  const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v)
  const toStored = (row: Row | Record<string, unknown> & { created_at: Date | string }, proof: unknown): StoredReceipt => ({
    id: row.id as Hex, model: row.model_cid as string, receipt: parse(row.receipt), signature: row.signature as Hex,
    createdAt: new Date(row.created_at as Date | string).toISOString(),
    ...(row.input ? { input: parse(row.input) } : {}), ...(row.output ? { output: parse(row.output) } : {}),
    ...(proof !== null && proof !== undefined ? { proof: parse(proof) } : {}),
  })
  return {
    durability,
    /** Resolves when the receipt is durable ('before-response') or at once ('after-response'). */
    save(entry: ReceiptEntry): Promise<void> {
      return enqueue({ ...entry, createdAt: new Date() })
    },
    /** Changes how a stored receipt is settled (e.g. an individual settlement that failed falls back to 'batch'). */
    async setSettlement(id: Hex, settlement: LlmSettlementMode): Promise<void> {
      const fresh = uncommitted.get(id)
      if (fresh !== undefined) fresh.settlement = settlement
      // Also in the table: the entry may be committing right now, or already be there.
      await flushAll()
      await db.updateTable('node_receipts').set({ settlement }).where('id', '=', id).execute()
    },
    /** Commits every receipt saved so far (on shutdown, or before reading the table directly). */
    flush: flushAll,
    /**
     * Starts committing the waiting group now rather than at its deadline, without waiting for it.
     * The node calls this while a model runs: the commit then takes time the event loop would spend
     * idle instead of landing on a later request's path.
     */
    commitWaiting(): void {
      if (pending.length > 0) void startFlush()
    },
    async get(id: Hex): Promise<StoredReceipt> {
      const fresh = uncommitted.get(id)
      if (fresh !== undefined) return toStored(rowOf(fresh), proofText(fresh.proof))
      const row = await db.selectFrom('node_receipts').selectAll().where('id', '=', id).executeTakeFirst()
      if (!row) throw new VerityError('RECEIPT_NOT_FOUND', `This node issued no receipt with id ${id}.`, { details: { id } })
      if (row.proof !== null || row.mode !== 'TEE') return toStored(row, row.proof)
      const digest = (parse(row.receipt) as Receipt).proofHash
      const shared = await db.selectFrom('node_evidence').select('evidence').where('digest', '=', digest).executeTakeFirst()
      return toStored(row, shared?.evidence ?? null)
    },
    /** Receipts issued in [fromSeconds, toSeconds), counted per minute and mode, with latency. */
    async stats(p: { fromSeconds: number; toSeconds: number }): Promise<Array<{ minute: number; mode: Mode; count: number; latencyAvgMs: number | null; latencyMaxMs: number | null }>> {
      await flushAll()
      const minute = sql<string>`(issued_at / 60) * 60`
      const rows = await db.selectFrom('node_receipts')
        .select([
          minute.as('minute'), 'mode', (eb) => eb.fn.countAll<string>().as('n'),
          (eb) => eb.fn.avg<string | null>('latency_ms').as('avg'), (eb) => eb.fn.max<number | null>('latency_ms').as('max'),
        ])
        .where('issued_at', '>=', p.fromSeconds).where('issued_at', '<', p.toSeconds)
        .groupBy([minute, 'mode']).orderBy(minute).orderBy('mode').execute()
      const num = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10)
      return rows.map((r) => ({ minute: Number(r.minute), mode: r.mode as Mode, count: Number(r.n), latencyAvgMs: num(r.avg), latencyMaxMs: num(r.max) }))
    },
    async count(): Promise<number> {
      await flushAll()
      const row = await db.selectFrom('node_receipts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      return Number(row.n)
    },
  }
}

export type ReceiptStore = Awaited<ReturnType<typeof createReceiptStore>>
