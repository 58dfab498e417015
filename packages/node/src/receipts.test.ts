import { describe, before, after, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabases, type TestDatabase } from '@verity/db/testing'
import { receiptDigest, signReceipt, tensorMapFromJson, ZERO_HASH, type Hex, type Receipt } from '@verity/protocol'
import { createReceiptStore, type ReceiptEntry } from './receipts.ts'

const key = `0x${'42'.repeat(32)}` as Hex
let counter = 0
function result(): ReceiptEntry {
  counter++
  const receipt: Receipt = {
    requestId: `0x${counter.toString(16).padStart(64, '0')}` as Hex, modelDigest: `0x${'11'.repeat(32)}`, inputHash: `0x${'22'.repeat(32)}`,
    outputHash: `0x${'33'.repeat(32)}`, mode: 'VANILLA', proofHash: ZERO_HASH, node: '0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F',
    timestamp: 1_700_000_000 + counter, chainId: 31337,
  }
  return { id: receiptDigest(receipt), model: 'bafkreitest', receipt, signature: signReceipt(receipt, key) }
}
const rowCount = async (database: Awaited<ReturnType<TestDatabase['open']>>, id: string) =>
  (await database.db.withTables<{ node_receipts: { id: string } }>().selectFrom('node_receipts').select('id').where('id', '=', id).execute()).length

for (const backend of await testDatabases()) {
  describe(`receipt store durability on ${backend.kind}`, { skip: backend.skip }, () => {
    let t: TestDatabase
    before(async () => { t = await backend.create() })
    after(() => t?.dispose())

    test("'after-response': save returns before the commit, the receipt is readable at once and committed within the group window", async () => {
      const database = await t.open()
      const store = await createReceiptStore(database, { groupCommitMs: 200 })
      const r = result()
      const id = receiptDigest(r.receipt)
      await store.save({ ...r, latencyMs: 3 })
      assert.equal(await rowCount(database, id), 0, 'not committed yet: the group waits up to 200 ms')
      assert.equal((await store.get(id)).signature, r.signature, 'GET by id sees it before the commit')
      await store.flush()
      assert.equal(await rowCount(database, id), 1)
      assert.equal((await store.get(id)).receipt.requestId, r.receipt.requestId)
      await database.close()
    })

    test('commitWaiting commits the waiting group long before its deadline, without being awaited', async () => {
      const database = await t.open()
      const store = await createReceiptStore(database, { groupCommitMs: 60_000 })
      const r = result()
      await store.save(r)
      store.commitWaiting()
      const started = Date.now()
      while ((await rowCount(database, r.id)) === 0) {
        assert.ok(Date.now() - started < 10_000, 'committed within 10 s although the group deadline is 60 s')
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      store.commitWaiting() // nothing waiting: a no-op
      await store.flush()
      await database.close()
    })

    test('flush on close keeps every answered receipt (a graceful restart loses none)', async () => {
      const database = await t.open()
      const store = await createReceiptStore(database, { groupCommitMs: 10_000 })
      const ids: Hex[] = []
      for (let i = 0; i < 50; i++) {
        const r = result()
        ids.push(receiptDigest(r.receipt))
        await store.save(r)
      }
      await store.flush()
      await database.close()
      const reopened = await t.open()
      const again = await createReceiptStore(reopened)
      for (const id of ids) assert.equal((await again.get(id)).id, id)
      assert.ok((await again.count()) >= 50)
      await reopened.close()
    })

    test("'before-response': save resolves only once the receipt is committed", async () => {
      const database = await t.open()
      const store = await createReceiptStore(database, { durability: 'before-response' })
      const r = result()
      const id = receiptDigest(r.receipt)
      await store.save(r)
      assert.equal(await rowCount(database, id), 1)
      await database.close()
    })

    test('saving the same receipt twice stores it once', async () => {
      const database = await t.open()
      const store = await createReceiptStore(database, { groupCommitMs: 1 })
      const r = result()
      const id = receiptDigest(r.receipt)
      await store.save(r)
      await store.save(r)
      const other = result()
      await store.save(other)
      await store.flush()
      assert.equal(await rowCount(database, id), 1)
      assert.equal(await rowCount(database, receiptDigest(other.receipt)), 1, 'a duplicate does not sink its group')
      await database.close()
    })

    test('the mode evidence is kept with the receipt (before and after its commit); oversized evidence is not', async () => {
      const database = await t.open()
      const store = await createReceiptStore(database, { groupCommitMs: 10_000 })
      const proof = { kind: 'dev', document: 'x'.repeat(100_000), nested: { publicSignals: ['1', '2'] } }
      const withProof = { ...result(), proof }
      const id = receiptDigest(withProof.receipt)
      await store.save(withProof)
      assert.deepEqual((await store.get(id)).proof, proof, 'readable from the uncommitted group')
      const huge = { ...result(), proof: { kind: 'dev', document: 'y'.repeat(300_000) } }
      const hugeId = receiptDigest(huge.receipt)
      await store.save(huge)
      const plain = result()
      const plainId = receiptDigest(plain.receipt)
      await store.save(plain)
      await store.flush()
      const again = await createReceiptStore(database)
      assert.deepEqual((await again.get(id)).proof, proof, 'committed with the receipt')
      assert.equal('proof' in (await again.get(hugeId)), false, 'evidence over 256 kB is dropped; the receipt is still kept')
      assert.equal('proof' in (await again.get(plainId)), false)
      await database.close()
    })

    test('small tensors are kept with the receipt (as base64 JSON, before and after the commit); large ones only as hashes', async () => {
      const database = await t.open()
      const store = await createReceiptStore(database, { groupCommitMs: 10_000 })
      const input = tensorMapFromJson({ x: { dtype: 'float32', shape: [2], data: [1.5, 'NaN'] } })
      const output = tensorMapFromJson({ y: { dtype: 'int64', shape: [1], data: ['9007199254740993'] } })
      const large = tensorMapFromJson({ x: { dtype: 'float32', shape: [20_000], data: new Array(20_000).fill(0.25) } })
      const kept = { ...result(), input, output }
      const dropped = { ...result(), input: large, output }
      await store.save(kept)
      await store.save(dropped)
      const expected = { x: { dtype: 'float32', shape: [2], base64: Buffer.from(new Float32Array([1.5, NaN]).buffer).toString('base64') } }
      assert.deepEqual((await store.get(kept.id)).input, expected, 'readable from the uncommitted group')
      await store.flush()
      const again = await createReceiptStore(database)
      assert.deepEqual((await again.get(kept.id)).input, expected)
      assert.deepEqual((await again.get(kept.id)).output, { y: { dtype: 'int64', shape: [1], base64: Buffer.from(new BigInt64Array([9007199254740993n]).buffer).toString('base64') } })
      assert.equal('input' in (await again.get(dropped.id)), false, 'an 80 kB input is kept as its hash (in the receipt) only')
      assert.ok('output' in (await again.get(dropped.id)))
      await database.close()
    })

    test('TEE evidence is stored once per digest and served with every receipt that names it', async () => {
      const database = await t.open()
      const store = await createReceiptStore(database, { groupCommitMs: 10_000 })
      const evidence = { kind: 'dev', document: 'e'.repeat(5_000) }
      const digest = `0x${'ee'.repeat(32)}` as Hex
      const tee = () => {
        const base = result()
        const receipt: Receipt = { ...base.receipt, mode: 'TEE', proofHash: digest }
        return { ...base, id: receiptDigest(receipt), receipt, signature: signReceipt(receipt, key), proof: evidence }
      }
      const first = tee()
      const second = tee()
      await store.save(first)
      await store.save(second)
      assert.deepEqual((await store.get(first.id)).proof, evidence, 'readable before the commit')
      await store.flush()
      const third = tee()
      await store.save(third)
      await store.flush()
      const again = await createReceiptStore(database)
      for (const r of [first, second, third]) assert.deepEqual((await again.get(r.id)).proof, evidence, r.id)
      const tables = database.db.withTables<{ node_evidence: { digest: string }; node_receipts: { id: string; proof: unknown } }>()
      assert.deepEqual((await tables.selectFrom('node_evidence').select('digest').execute()).map((r) => r.digest), [digest])
      assert.deepEqual((await tables.selectFrom('node_receipts').select('proof').where('id', '=', first.id).execute()).map((r) => r.proof), [null], 'no copy per receipt')
      await database.close()
    })

    test('setSettlement changes how a receipt is settled, before and after its commit', async () => {
      const database = await t.open()
      const store = await createReceiptStore(database, { groupCommitMs: 10_000 })
      const settlementOf = async (id: string) => (await database.db.withTables<{ node_receipts: { id: string; settlement: string | null } }>()
        .selectFrom('node_receipts').select('settlement').where('id', '=', id).executeTakeFirstOrThrow()).settlement
      const waiting = { ...result(), settlement: 'individual' as const }
      await store.save(waiting)
      await store.setSettlement(waiting.id, 'batch')
      assert.equal(await settlementOf(waiting.id), 'batch', 'changed while it waited for its group')
      const committed = { ...result(), settlement: 'individual' as const }
      await store.save(committed)
      await store.flush()
      await store.setSettlement(committed.id, 'batch')
      assert.equal(await settlementOf(committed.id), 'batch')
      await database.close()
    })

    test('a group that cannot commit is reported with its receipt ids (nobody is left waiting)', async () => {
      const database = await t.open()
      const errors: Array<{ error: unknown; ids: string[] }> = []
      const store = await createReceiptStore(database, { groupCommitMs: 10_000, onCommitError: (error, ids) => errors.push({ error, ids }) })
      const r = result()
      const id = receiptDigest(r.receipt)
      await store.save(r)
      await database.close()
      await store.flush()
      assert.equal(errors.length, 1)
      assert.deepEqual(errors[0]!.ids, [id])
    })
  })
}
