/**
 * The node's settlement queue: receipts it signed are grouped into Merkle batches (protocol
 * merkleLeaf/merkleRoot) whose roots are posted on chain (Settlement.settleBatch).
 *
 * Exactly-once across crashes: a batch is first written as `pending` with its receipts in order (one
 * transaction), then posted, then marked `posted` with the tx hash. A node that restarts re-derives the
 * root from the persisted pending batch and asks the chain whether that root was already posted
 * (a crash after the post but before the mark) before posting: nothing is posted twice.
 */
import { migrate, sql, type Database, type Generated, type Migration } from '@verity/db'
import { merkleLeaf, merkleProof, merkleRoot, VerityError, type Hex, type InclusionResponse } from '@verity/protocol'
import { getBatch, readLogsInWindows, settleBatch, type VerityClient } from '@verity/chain'
import { parseAbiItem } from 'viem'

type SettlementTables = {
  node_receipts: { id: string; signer: string; issued_at: number; settlement: string | null }
  node_settlement_batches: {
    id: number
    /** Several nodes may share one PostgreSQL database; each settles only its own batches. */
    signer: string
    root: string
    count: number
    state: 'pending' | 'posted'
    tx_hash: string | null
    created_at: Generated<Date | string>
    posted_at: Date | string | null
  }
  node_settlement_items: { receipt_id: string; batch_id: number; position: number }
}

export const settlementMigrations: Migration[] = [
  {
    name: '001-settlement-batches',
    up: async (db) => {
      await db.schema.createTable('node_settlement_batches')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('signer', 'text', (c) => c.notNull())
        .addColumn('root', 'text', (c) => c.notNull().unique())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('tx_hash', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('posted_at', 'timestamptz')
        .execute()
      await db.schema.createTable('node_settlement_items')
        .addColumn('receipt_id', 'text', (c) => c.primaryKey())
        .addColumn('batch_id', 'integer', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('node_settlement_items_batch').on('node_settlement_items').columns(['batch_id', 'position']).execute()
    },
  },
]

export type SettlementHooks = {
  /** Test-only crash points (see faults.ts); called just before / after the root is posted. */
  beforePost?: (() => void) | undefined
  afterPost?: (() => void) | undefined
}

export type SettlementStatus = { pendingReceipts: number; pendingBatches: number; postedBatches: number; lastPostedRoot: Hex | null; lastPostedTx: Hex | null }

export type SettleReturnType = { posted: Array<{ root: Hex; count: number; tx: Hex | null; alreadyOnChain: boolean }> }

/** Receipts that go into Merkle batches: all but those settled alone or kept private (receipts.ts `settlement`). */
const batched = sql<boolean>`(node_receipts.settlement is null or node_receipts.settlement = 'batch')`

export async function createSettlementQueue(database: Database, p: { signer: string; batchMax?: number; hooks?: SettlementHooks }) {
  await migrate(database, settlementMigrations, { namespace: 'node-settlement' })
  const db = database.db.withTables<SettlementTables>()
  const batchMax = p.batchMax ?? 1000
  const hooks = p.hooks ?? {}
  let running: Promise<SettleReturnType> | null = null

  async function itemsOf(batchId: number): Promise<Hex[]> {
    const rows = await db.selectFrom('node_settlement_items').select('receipt_id').where('batch_id', '=', batchId).orderBy('position').execute()
    return rows.map((r) => r.receipt_id as Hex)
  }

  /** Groups unbatched receipts into a new pending batch (one transaction); null when there are none. */
  async function cutBatch(): Promise<{ id: number; root: Hex; count: number } | null> {
    return db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('node_receipts').select('id')
        .where('signer', '=', p.signer)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('node_settlement_items').select('receipt_id').whereRef('node_settlement_items.receipt_id', '=', 'node_receipts.id'))))
        .where(batched)
        .orderBy('issued_at').orderBy('id').limit(batchMax).execute()
      if (rows.length === 0) return null
      const ids = rows.map((r) => r.id as Hex)
      const root = merkleRoot(ids.map(merkleLeaf))
      const last = await trx.selectFrom('node_settlement_batches').select((eb) => eb.fn.max('id').as('m')).executeTakeFirst()
      const id = Number(last?.m ?? 0) + 1
      await trx.insertInto('node_settlement_batches').values({ id, signer: p.signer, root, count: ids.length, state: 'pending', tx_hash: null, posted_at: null }).execute()
      await trx.insertInto('node_settlement_items').values(ids.map((receipt_id, position) => ({ receipt_id, batch_id: id, position }))).execute()
      return { id, root, count: ids.length }
    })
  }

  async function findPostTx(client: VerityClient, root: Hex): Promise<Hex | null> {
    try {
      const logs = await readLogsInWindows(client, BigInt(client.deployment.deployedAtBlock), (window) => client.publicClient.getLogs({
        address: client.deployment.settlement, event: parseAbiItem('event BatchSettled(bytes32 indexed root, address indexed node, uint32 count)'),
        args: { root }, ...window,
      }))
      return logs[0]?.transactionHash ?? null
    } catch {
      return null
    }
  }

  async function postPending(client: VerityClient, out: SettleReturnType): Promise<void> {
    const pending = await db.selectFrom('node_settlement_batches').selectAll().where('signer', '=', p.signer).where('state', '=', 'pending').orderBy('id').execute()
    for (const batch of pending) {
      const ids = await itemsOf(batch.id)
      // Re-derive the root from the persisted receipts: the stored root is only a cross-check.
      const root = merkleRoot(ids.map(merkleLeaf))
      if (root !== batch.root || ids.length !== batch.count) {
        throw new VerityError('INTERNAL', `Settlement batch ${batch.id} no longer matches its receipts (root ${batch.root}, re-derived ${root})`, { details: { batch: batch.id } })
      }
      let tx: Hex | null
      let alreadyOnChain = false
      if (await getBatch(client, { root })) {
        alreadyOnChain = true
        tx = await findPostTx(client, root)
      } else {
        hooks.beforePost?.()
        tx = (await settleBatch(client, { root, count: ids.length })).hash
        hooks.afterPost?.()
      }
      await db.updateTable('node_settlement_batches').set({ state: 'posted', tx_hash: tx, posted_at: new Date().toISOString() }).where('id', '=', batch.id).execute()
      out.posted.push({ root, count: ids.length, tx, alreadyOnChain })
    }
  }

  return {
    /**
     * Posts every pending batch, then cuts and posts new batches until no receipt is left unbatched.
     * Calls never overlap (a second caller waits for the first run and starts its own).
     */
    async settle(client: VerityClient): Promise<SettleReturnType> {
      while (running) await running.catch(() => undefined)
      const run = (async () => {
        const out: SettleReturnType = { posted: [] }
        await postPending(client, out)
        while (await cutBatch()) await postPending(client, out)
        return out
      })()
      running = run
      try {
        return await run
      } finally {
        running = null
      }
    },

    async inclusion(id: Hex): Promise<InclusionResponse> {
      const item = await db.selectFrom('node_settlement_items').select(['batch_id', 'position']).where('receipt_id', '=', id).executeTakeFirst()
      if (!item) {
        const known = await db.selectFrom('node_receipts').select('id').where('id', '=', id).executeTakeFirst()
        if (!known) throw new VerityError('RECEIPT_NOT_FOUND', `This node issued no receipt with id ${id}.`, { details: { id } })
        return { id, settled: false, root: null, proof: [], batchTx: null, count: null }
      }
      const batch = await db.selectFrom('node_settlement_batches').selectAll().where('id', '=', item.batch_id).executeTakeFirstOrThrow()
      const ids = await itemsOf(batch.id)
      return {
        id, settled: batch.state === 'posted', root: batch.root as Hex, proof: merkleProof(ids.map(merkleLeaf), item.position),
        batchTx: (batch.tx_hash as Hex | null) ?? null, count: batch.count,
      }
    },

    async status(): Promise<SettlementStatus> {
      const unbatched = await db.selectFrom('node_receipts').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('signer', '=', p.signer)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('node_settlement_items').select('receipt_id').whereRef('node_settlement_items.receipt_id', '=', 'node_receipts.id'))))
        .where(batched)
        .executeTakeFirstOrThrow()
      const mine = () => db.selectFrom('node_settlement_batches').where('signer', '=', p.signer)
      const byState = await mine().select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute()
      const pendingInBatches = await mine().select((eb) => eb.fn.sum<number>('count').as('n')).where('state', '=', 'pending').executeTakeFirst()
      const last = await mine().select(['root', 'tx_hash']).where('state', '=', 'posted').orderBy('id', 'desc').limit(1).executeTakeFirst()
      const n = (state: string) => Number(byState.find((r) => r.state === state)?.n ?? 0)
      return {
        pendingReceipts: Number(unbatched.n) + Number(pendingInBatches?.n ?? 0), pendingBatches: n('pending'), postedBatches: n('posted'),
        lastPostedRoot: (last?.root as Hex | undefined) ?? null, lastPostedTx: (last?.tx_hash as Hex | undefined) ?? null,
      }
    },
  }
}

export type SettlementQueue = Awaited<ReturnType<typeof createSettlementQueue>>
