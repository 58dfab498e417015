/**
 * The node's receipt store: every receipt it signs, fetchable by id (the EIP-712 digest). Small inputs
 * and outputs are kept with the receipt so the explorer can show them; large ones only as hashes.
 */
import { migrate, sql, type Database, type Generated, type Insertable, type Migration } from '@verity/db'
import { VerityError, type Hex, type InferenceResult, type LlmSettlementMode, type Mode, type Receipt, type StoredReceipt, type TensorMapJson } from '@verity/protocol'

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
]

/** A signed receipt that is no tensor inference (e.g. an LLM answer): stored without input/output. */
export type SignedReceiptEntry = {
  id: Hex
  /** What ran, e.g. "llm:provider/model". */
  model: string
  receipt: Receipt
  signature: Hex
  latencyMs?: number | undefined
  settlement?: LlmSettlementMode | undefined
}

/** Tensors larger than this (as JSON) are stored as hashes only. */
const KEEP_TENSORS_UNDER = 64 * 1024

export async function createReceiptStore(database: Database) {
  await migrate(database, receiptMigrations, { namespace: 'node' })
  const db = database.db.withTables<ReceiptTables>()
  const small = (t: TensorMapJson) => {
    const text = JSON.stringify(t)
    return text.length <= KEEP_TENSORS_UNDER ? text : null
  }
  type Row = Insertable<ReceiptTables['node_receipts']>
  // Group commit: concurrent saves share one multi-row INSERT (one transaction, one fsync); each
  // caller still waits until its receipt is durable before answering.
  let pending: Array<{ row: Row; done: (error?: unknown) => void }> = []
  let flushing: Promise<void> | null = null
  const flush = async (): Promise<void> => {
    while (pending.length > 0) {
      const batch = pending
      pending = []
      try {
        await db.insertInto('node_receipts').values(batch.map((b) => b.row)).execute()
        for (const b of batch) b.done()
      } catch (error) {
        for (const b of batch) b.done(error)
      }
    }
    flushing = null
  }
  const enqueue = (row: Row): Promise<void> => new Promise<void>((resolve, reject) => {
    pending.push({ row, done: (error) => (error === undefined ? resolve() : reject(error)) })
    flushing ??= flush()
  })
  return {
    save(result: InferenceResult, id: Hex, latencyMs?: number, settlement?: LlmSettlementMode): Promise<void> {
      return enqueue({
        id, request_id: result.receipt.requestId, model_cid: result.model, mode: result.receipt.mode, signer: result.receipt.node,
        issued_at: result.receipt.timestamp, receipt: JSON.stringify(result.receipt), signature: result.signature,
        input: small(result.input), output: small(result.output), latency_ms: latencyMs === undefined ? null : Math.round(latencyMs),
        settlement: settlement ?? null,
      })
    },
    /** Stores a signed receipt with no tensors (LLM answers: prompts and answers are not kept). */
    saveSigned(entry: SignedReceiptEntry): Promise<void> {
      return enqueue({
        id: entry.id, request_id: entry.receipt.requestId, model_cid: entry.model, mode: entry.receipt.mode, signer: entry.receipt.node,
        issued_at: entry.receipt.timestamp, receipt: JSON.stringify(entry.receipt), signature: entry.signature, input: null, output: null,
        latency_ms: entry.latencyMs === undefined ? null : Math.round(entry.latencyMs), settlement: entry.settlement ?? null,
      })
    },
    async get(id: Hex): Promise<StoredReceipt> {
      const row = await db.selectFrom('node_receipts').selectAll().where('id', '=', id).executeTakeFirst()
      if (!row) throw new VerityError('RECEIPT_NOT_FOUND', `This node issued no receipt with id ${id}.`, { details: { id } })
      const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v)
      return {
        id: row.id as Hex, model: row.model_cid, receipt: parse(row.receipt), signature: row.signature as Hex,
        createdAt: new Date(row.created_at).toISOString(),
        ...(row.input ? { input: parse(row.input) } : {}), ...(row.output ? { output: parse(row.output) } : {}),
      }
    },
    /** Receipts issued in [fromSeconds, toSeconds), counted per minute and mode, with latency. */
    async stats(p: { fromSeconds: number; toSeconds: number }): Promise<Array<{ minute: number; mode: Mode; count: number; latencyAvgMs: number | null; latencyMaxMs: number | null }>> {
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
      const row = await db.selectFrom('node_receipts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      return Number(row.n)
    },
  }
}

export type ReceiptStore = Awaited<ReturnType<typeof createReceiptStore>>
