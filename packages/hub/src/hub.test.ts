import { describe, before, after, test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { buildMlp } from '@verity/onnx'
import { cidForBytes, VerityError, type ErrorCode } from '@verity/protocol'
import { testDatabases, type TestDatabase } from '@verity/db/testing'
import { sampleModel } from '@verity/samples'
import type { Database } from '@verity/db'
import { blobShard, createHub, seedSamples, type Hub } from './index.ts'

const rejectsWith = (promise: Promise<unknown>, code: ErrorCode, pattern?: RegExp) =>
  assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof VerityError, `expected a VerityError, got ${String(e)}`)
    assert.equal(e.code, code, e.message)
    if (pattern) assert.match(e.message, pattern)
    return true
  })

// buildMlp returns a Buffer; the hub hands back plain Uint8Arrays.
const mlp = new Uint8Array(buildMlp({ name: 'test-mlp', sizes: [4, 8, 3], seed: 3 }))
const otherMlp = new Uint8Array(buildMlp({ name: 'other-mlp', sizes: [2, 5, 2], seed: 4 }))

for (const backend of await testDatabases()) {
  describe(`@verity/hub on ${backend.kind}`, { skip: backend.skip }, () => {
    let t: TestDatabase
    let database: Database
    let hub: Hub
    const tmpFiles = () => readdirSync(join(t.dataDir, 'blobs', 'tmp'))
    const blobCount = async () => { let n = 0; for await (const _ of hub.blobs.list()) n++; return n }
    const fileCount = async () => (await hub.database.db.withTables<{ hub_files: { cid: string } }>().selectFrom('hub_files').select('cid').execute()).length

    before(async () => {
      t = await backend.create()
      database = await t.open()
      hub = await createHub({ dataDir: t.dataDir, database, maxUploadBytes: 1_000_000 })
    })
    after(async () => {
      await hub?.close()
      await t?.dispose()
    })

    test('repositories: create, get, update, duplicates and bad input', async () => {
      const created = await hub.createRepository({ repo: 'acme/classifier', description: '# Classifier\nSorts things.', task: 'image-classification', license: 'MIT', tags: ['Vision', 'tiny', 'vision'] })
      assert.equal(created.repo, 'acme/classifier')
      assert.deepEqual(created.tags, ['vision', 'tiny'])
      assert.equal(created.visibility, 'public')
      assert.equal(created.downloads, 0)
      assert.deepEqual(await hub.getRepository('acme/classifier'), created)
      const updated = await hub.updateRepository({ repo: 'acme/classifier', license: 'Apache-2.0', visibility: 'private' })
      assert.equal(updated.license, 'Apache-2.0')
      assert.equal(updated.visibility, 'private')
      assert.equal(updated.task, 'image-classification')
      assert.ok(updated.updatedAt >= created.updatedAt)
      await hub.updateRepository({ repo: 'acme/classifier', visibility: 'public' })

      await rejectsWith(hub.createRepository({ repo: 'acme/classifier' }), 'ALREADY_EXISTS', /acme\/classifier already exists/)
      for (const repo of ['acme', 'Acme/x', 'acme/x/y', 'acme/-x', '', 'a/' + 'x'.repeat(70)]) await rejectsWith(hub.createRepository({ repo }), 'INVALID_NAME')
      await rejectsWith(hub.createRepository({ repo: 'acme/bad-task', task: 'Image Classification' }), 'BAD_REQUEST', /task/)
      await rejectsWith(hub.createRepository({ repo: 'acme/bad-tags', tags: ['ok', 'not ok'] }), 'BAD_REQUEST', /tag "not ok"/)
      await rejectsWith(hub.createRepository({ repo: 'acme/bad-vis', visibility: 'secret' as never }), 'BAD_REQUEST', /visibility/)
      await rejectsWith(hub.getRepository('acme/missing'), 'NOT_FOUND', /No repository acme\/missing/)
      await rejectsWith(hub.updateRepository({ repo: 'acme/missing', description: 'x' }), 'NOT_FOUND')
    })

    test('releases: drafts take files, published releases are immutable, model card shows the IO schema', async () => {
      await hub.createRepository({ repo: 'acme/mlp', description: 'An MLP', task: 'tabular-classification' })
      const draft = await hub.createRelease({ repo: 'acme/mlp', version: '1.00', notes: 'first' })
      assert.deepEqual([draft.version, draft.published, draft.publishedAt], ['1.00', false, null])
      await rejectsWith(hub.createRelease({ repo: 'acme/mlp', version: '1.00' }), 'ALREADY_EXISTS')
      for (const version of ['1', '1.0', 'v1.00', '1.000', '1.00.1']) await rejectsWith(hub.createRelease({ repo: 'acme/mlp', version }), 'INVALID_NAME')
      await rejectsWith(hub.createRelease({ repo: 'acme/nope', version: '1.00' }), 'NOT_FOUND')
      await rejectsWith(hub.publishRelease({ repo: 'acme/mlp', version: '1.00' }), 'BAD_REQUEST', /no files/)

      const file = await hub.pushFile({ repo: 'acme/mlp', version: '1.00', path: 'model.onnx', source: Readable.from([mlp.subarray(0, 100), mlp.subarray(100)]) })
      assert.equal(file.cid, cidForBytes(mlp))
      assert.equal(file.size, mlp.length)
      assert.equal(file.mediaType, 'application/onnx')
      assert.deepEqual(file.onnx?.inputs, [{ name: 'input', dtype: 'float32', onnxType: 1, shape: ['batch', 4] }])
      const readme = await hub.pushFile({ repo: 'acme/mlp', version: '1.00', path: 'docs/README.md', source: new TextEncoder().encode('# hi') })
      assert.equal(readme.mediaType, 'text/markdown')
      assert.equal(readme.onnx, null)
      await rejectsWith(hub.pushFile({ repo: 'acme/mlp', version: '1.00', path: 'model.onnx', source: otherMlp }), 'ALREADY_EXISTS', /already has a file model.onnx/)
      for (const path of ['../x', '/abs', 'a//b', 'a/./b', 'sp ace']) await rejectsWith(hub.pushFile({ repo: 'acme/mlp', version: '1.00', path, source: mlp }), 'BAD_REQUEST', /file path/)
      await rejectsWith(hub.pushFile({ repo: 'acme/mlp', version: '9.00', path: 'x.onnx', source: mlp }), 'NOT_FOUND', /No release acme\/mlp@9.00/)

      const published = await hub.publishRelease({ repo: 'acme/mlp', version: '1.00' })
      assert.equal(published.published, true)
      assert.ok(published.publishedAt)
      await rejectsWith(hub.publishRelease({ repo: 'acme/mlp', version: '1.00' }), 'RELEASE_PUBLISHED')
      await rejectsWith(hub.pushFile({ repo: 'acme/mlp', version: '1.00', path: 'other.onnx', source: otherMlp }), 'RELEASE_PUBLISHED')
      await rejectsWith(hub.pushFile({ repo: 'acme/mlp', version: '1.00', path: 'model.onnx', source: otherMlp, replace: true }), 'RELEASE_PUBLISHED')
      await rejectsWith(hub.removeFile({ repo: 'acme/mlp', version: '1.00', path: 'docs/README.md' }), 'RELEASE_PUBLISHED')
      await rejectsWith(hub.addFile({ repo: 'acme/mlp', version: '1.00', path: 'again.onnx', cid: file.cid }), 'RELEASE_PUBLISHED')
      await hub.createRelease({ repo: 'acme/mlp', version: '0.01' })
      await rejectsWith(hub.addFile({ repo: 'acme/mlp', version: '0.01', path: 'gone.bin', cid: cidForBytes(new Uint8Array([42])) }), 'NOT_FOUND', /No blob/)
      await rejectsWith(hub.addFile({ repo: 'acme/mlp', version: '0.01', path: 'gone.onnx', cid: cidForBytes(new Uint8Array([42])) }), 'NOT_FOUND', /No blob/)
      const notOnnx = await hub.uploadBlob(new TextEncoder().encode('plain text, not a model'))
      await rejectsWith(hub.addFile({ repo: 'acme/mlp', version: '0.01', path: 'text.onnx', cid: notOnnx.cid }), 'INVALID_MODEL_FILE')
      assert.deepEqual((await hub.listFiles({ repo: 'acme/mlp', version: '1.00' })).map((f) => [f.path, f.cid]), [['docs/README.md', readme.cid], ['model.onnx', file.cid]])

      // A new draft can replace files and attach existing blobs by CID.
      await hub.createRelease({ repo: 'acme/mlp', version: '1.01' })
      await hub.addFile({ repo: 'acme/mlp', version: '1.01', path: 'model.onnx', cid: file.cid })
      const replaced = await hub.pushFile({ repo: 'acme/mlp', version: '1.01', path: 'model.onnx', source: otherMlp, replace: true })
      assert.equal(replaced.cid, cidForBytes(otherMlp))
      await hub.pushFile({ repo: 'acme/mlp', version: '1.01', path: 'notes.txt', source: new TextEncoder().encode('n') })
      await hub.removeFile({ repo: 'acme/mlp', version: '1.01', path: 'notes.txt' })
      await rejectsWith(hub.removeFile({ repo: 'acme/mlp', version: '1.01', path: 'notes.txt' }), 'NOT_FOUND')

      await hub.recordDownload('acme/mlp')
      await hub.recordDownload('acme/mlp', 2)
      await rejectsWith(hub.recordDownload('acme/none'), 'NOT_FOUND')
      const card = await hub.getModelCard('acme/mlp')
      assert.equal(card.downloads, 3)
      assert.equal(card.repository.description, 'An MLP')
      assert.deepEqual(card.releases.map((r) => [r.version, r.published, r.files.length]), [['1.01', false, 1], ['1.00', true, 2], ['0.01', false, 0]])
      assert.equal(card.latest?.release, '1.00')
      assert.equal(card.latest?.cid, file.cid)
      assert.deepEqual(card.latest?.onnx?.outputs, [{ name: 'output', dtype: 'float32', onnxType: 1, shape: ['batch', 3] }])
      assert.equal(card.latest?.onnx?.parameterCount, 4 * 8 + 8 + 8 * 3 + 3)
    })

    test('resolveModel: name@release, latest published, latest draft, bare CID, and what is missing', async () => {
      await hub.createRepository({ repo: 'acme/resolve' })
      await rejectsWith(hub.resolveModel('acme/resolve'), 'MODEL_NOT_FOUND', /has no releases/)
      await hub.createRelease({ repo: 'acme/resolve', version: '1.00' })
      await hub.pushFile({ repo: 'acme/resolve', version: '1.00', path: 'b.onnx', source: otherMlp })
      await hub.pushFile({ repo: 'acme/resolve', version: '1.00', path: 'a.onnx', source: mlp })
      // Only a draft: it resolves to the draft, primary file = first .onnx by path.
      assert.deepEqual(await hub.resolveModel('acme/resolve'), { cid: cidForBytes(mlp), repo: 'acme/resolve', release: '1.00', published: false, path: 'a.onnx', size: mlp.length })
      await hub.publishRelease({ repo: 'acme/resolve', version: '1.00' })
      await hub.createRelease({ repo: 'acme/resolve', version: '2.00' })
      await hub.pushFile({ repo: 'acme/resolve', version: '2.00', path: 'model.onnx', source: otherMlp })
      await hub.pushFile({ repo: 'acme/resolve', version: '2.00', path: 'a.onnx', source: mlp })
      // A published release wins over a newer draft; model.onnx wins over other .onnx files.
      assert.equal((await hub.resolveModel('acme/resolve')).release, '1.00')
      const v2 = await hub.resolveModel('acme/resolve@2.00')
      assert.deepEqual([v2.release, v2.path, v2.cid, v2.published], ['2.00', 'model.onnx', cidForBytes(otherMlp), false])
      await hub.publishRelease({ repo: 'acme/resolve', version: '2.00' })
      assert.equal((await hub.resolveModel('acme/resolve')).release, '2.00')
      assert.deepEqual(await hub.resolveModel(cidForBytes(mlp)), { cid: cidForBytes(mlp), repo: null, release: null, published: null, path: null, size: mlp.length })

      await rejectsWith(hub.resolveModel(cidForBytes(new Uint8Array([1, 2, 3]))), 'MODEL_NOT_FOUND', /No model file with CID/)
      await rejectsWith(hub.resolveModel('acme/resolve@3.00'), 'MODEL_NOT_FOUND', /No release acme\/resolve@3.00/)
      await rejectsWith(hub.resolveModel('acme/unknown'), 'MODEL_NOT_FOUND', /No repository acme\/unknown/)
      await rejectsWith(hub.resolveModel('not a name'), 'INVALID_NAME')
      await hub.createRelease({ repo: 'acme/resolve', version: '3.00' })
      await hub.pushFile({ repo: 'acme/resolve', version: '3.00', path: 'weights.bin', source: new Uint8Array([1]) })
      await rejectsWith(hub.resolveModel('acme/resolve@3.00'), 'MODEL_NOT_FOUND', /has no .onnx file/)
    })

    test('uploads: dedup, digest mismatch, size limit, corrupt/truncated ONNX and interrupted streams leave nothing behind', async () => {
      await hub.createRepository({ repo: 'acme/uploads' })
      await hub.createRelease({ repo: 'acme/uploads', version: '1.00' })
      const target = { repo: 'acme/uploads', version: '1.00' }
      const unique = new TextEncoder().encode('bytes for the dedup check')
      const first = await hub.uploadBlob(unique)
      const again = await hub.uploadBlob(Readable.from([unique.subarray(0, 5), unique.subarray(5)]))
      assert.deepEqual([first.cid, first.created, first.size, again.cid, again.created], [cidForBytes(unique), true, unique.length, cidForBytes(unique), false])
      assert.deepEqual(new Uint8Array(readFileSync(join(t.dataDir, 'blobs', blobShard(first.cid), first.cid))), unique)

      const blobsBefore = await blobCount()
      const filesBefore = await fileCount()
      const nothingLeft = async (what: string) => {
        assert.deepEqual(tmpFiles(), [], `${what}: temp files left`)
        assert.equal(await blobCount(), blobsBefore, `${what}: a blob was stored`)
        assert.equal(await fileCount(), filesBefore, `${what}: a file row was written`)
      }

      const fresh = new TextEncoder().encode('fresh bytes never stored before')
      await rejectsWith(hub.pushFile({ ...target, path: 'x.bin', source: fresh, expectedCid: cidForBytes(new Uint8Array([9])) }), 'DIGEST_MISMATCH', /hash to bafkrei/)
      await nothingLeft('digest mismatch')
      await rejectsWith(hub.pushFile({ ...target, path: 'x.bin', source: fresh, expectedCid: 'not-a-cid' }), 'INVALID_CID')

      let pulled = 0
      async function* big() { for (let i = 0; i < 100; i++) { pulled++; yield new Uint8Array(64 * 1024) } }
      await rejectsWith(hub.pushFile({ ...target, path: 'big.bin', source: big(), maxBytes: 200_000 }), 'INPUT_TOO_LARGE', /limit of 200000 bytes/)
      assert.ok(pulled <= 4, `read ${pulled} chunks past the limit`)
      await rejectsWith(hub.pushFile({ ...target, path: 'big.bin', source: new Uint8Array(1_000_001) }), 'INPUT_TOO_LARGE', /1000000/)
      await nothingLeft('oversized')

      await rejectsWith(hub.pushFile({ ...target, path: 'model.onnx', source: new TextEncoder().encode('definitely not a protobuf model') }), 'INVALID_MODEL_FILE', /acme\/uploads@1.00\/model.onnx/)
      await nothingLeft('corrupt onnx')
      const truncated = buildMlp({ name: 'truncated', sizes: [16, 32, 4], seed: 9 })
      await rejectsWith(hub.pushFile({ ...target, path: 'model.onnx', source: truncated.subarray(0, truncated.length - 7) }), 'INVALID_MODEL_FILE')
      await nothingLeft('truncated onnx')

      const interrupted = new Readable({
        read() {
          this.push(new Uint8Array(1000).fill(7))
          setImmediate(() => this.destroy(new Error('connection reset by peer')))
        },
      })
      await assert.rejects(hub.pushFile({ ...target, path: 'model.onnx', source: interrupted }), /connection reset by peer/)
      await nothingLeft('interrupted stream')
      await assert.rejects(hub.uploadBlob((async function* () { yield new Uint8Array(10); throw new Error('source failed') })()), /source failed/)
      await nothingLeft('failing iterator')
      // A string chunk (a stream with an encoding) is a caller bug, not silently re-encoded.
      await assert.rejects(hub.uploadBlob(Readable.from(['text'])), TypeError)
      await nothingLeft('string chunks')
    })

    test('races: concurrent pushes to one path, and a publish while an upload is streaming', async () => {
      await hub.createRepository({ repo: 'acme/race' })
      await hub.createRelease({ repo: 'acme/race', version: '1.00' })
      const results = await Promise.allSettled([mlp, otherMlp].map((bytes) => hub.pushFile({ repo: 'acme/race', version: '1.00', path: 'model.onnx', source: Readable.from([bytes]) })))
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
      assert.equal((failed.reason as VerityError).code, 'ALREADY_EXISTS')
      assert.equal((await hub.listFiles({ repo: 'acme/race', version: '1.00' })).length, 1)

      let release!: () => void
      const gate = new Promise<void>((resolve) => { release = resolve })
      async function* slow() { yield new TextEncoder().encode('first half, '); await gate; yield new TextEncoder().encode('second half') }
      const pending = hub.pushFile({ repo: 'acme/race', version: '1.00', path: 'late.txt', source: slow() })
      await new Promise((resolve) => setTimeout(resolve, 20))
      await hub.publishRelease({ repo: 'acme/race', version: '1.00' })
      release()
      await rejectsWith(pending, 'RELEASE_PUBLISHED')
      assert.deepEqual((await hub.listFiles({ repo: 'acme/race', version: '1.00' })).map((f) => f.path), ['model.onnx'])
      assert.deepEqual(tmpFiles(), [])
    })

    test('search handles non-ASCII text', async () => {
      await hub.createRepository({ repo: 'acme/unicode', description: 'Détecteur de café — reconnaît les tasses. 文字认识 模型' })
      assert.deepEqual((await hub.search({ text: 'café' })).items.map((r) => r.repo), ['acme/unicode'])
      assert.deepEqual((await hub.search({ text: 'reconna' })).items.map((r) => r.repo), ['acme/unicode'])
      assert.deepEqual((await hub.search({ text: '模型' })).items.map((r) => r.repo), ['acme/unicode'])
    })

    test('downloads re-verify the digest: a corrupted blob on disk is detected', async () => {
      const bytes = new Uint8Array(buildMlp({ name: 'to-corrupt', sizes: [3, 3], seed: 11 }))
      const { cid } = await hub.uploadBlob(bytes)
      const opened = await hub.openBlob(cid)
      assert.equal(opened.size, bytes.length)
      const chunks: Buffer[] = []
      for await (const chunk of opened.stream) chunks.push(chunk as Buffer)
      assert.deepEqual(new Uint8Array(Buffer.concat(chunks)), bytes)
      assert.deepEqual(await hub.readBlob(cid), bytes)
      assert.equal(await hub.hasBlob(cid), true)

      const path = join(t.dataDir, 'blobs', blobShard(cid), cid)
      const damaged = Uint8Array.from(bytes)
      damaged[damaged.length >> 1]! ^= 0xff
      writeFileSync(path, damaged)
      await rejectsWith(hub.readBlob(cid), 'BLOB_CORRUPT', new RegExp(`Blob ${cid} on disk is corrupt`))
      const stream = (await hub.openBlob(cid)).stream
      await assert.rejects(async () => { for await (const _ of stream) { /* drain */ } }, (e: unknown) => e instanceof VerityError && e.code === 'BLOB_CORRUPT')
      await rejectsWith(hub.openBlob(cidForBytes(new Uint8Array([4, 5]))), 'NOT_FOUND')
      await rejectsWith(hub.readBlob('bafy-nonsense'), 'INVALID_CID')
    })

    test('search: text prefixes, task, all-of tags, owner, visibility, sorting and paging', async () => {
      const tasks = ['image-classification', 'object-detection', 'text-generation']
      const list = Array.from({ length: 45 }, (_, i) => ({
        repo: `${i % 3 === 0 ? 'zeta' : 'lab' + (i % 3)}/model-${String(i).padStart(2, '0')}`,
        description: i % 5 === 0 ? `Detects **pedestrians** in street scenes (variant ${i}).` : `A generic model number ${i}.`,
        task: tasks[i % 3]!,
        tags: ['search-test', ...(i % 2 === 0 ? ['even'] : ['odd']), ...(i % 4 === 0 ? ['quad'] : [])],
        visibility: i === 44 ? 'private' as const : 'public' as const,
      }))
      assert.deepEqual(await hub.createRepositories(list), { created: 45 })
      assert.deepEqual(await hub.createRepositories(list.slice(0, 3)), { created: 0 })
      for (let i = 0; i < 45; i += 7) await hub.recordDownload(list[i]!.repo, 100 - i)
      const all = (await hub.search({ tags: ['search-test'], sort: 'name', limit: 100 })).items
      assert.equal(all.length, 44, 'the private repository is left out')
      assert.equal((await hub.search({ tags: ['search-test'], includePrivate: true, limit: 100 })).items.length, 45)
      assert.deepEqual(all.map((r) => r.repo), [...all.map((r) => r.repo)].sort())

      const pedestrians = await hub.search({ text: 'pedestr' })
      assert.deepEqual(pedestrians.items.map((r) => r.repo).sort(), list.filter((_, i) => i % 5 === 0 && i !== 44).map((r) => r.repo).sort())
      assert.ok(pedestrians.items.every((r) => typeof r.score === 'number' && r.score > 0))
      // Owner/name words weigh more than description words.
      const zeta = await hub.search({ text: 'zeta model' })
      assert.ok(zeta.items.length === 15 && zeta.items.every((r) => r.owner === 'zeta'))
      assert.deepEqual((await hub.search({ text: 'model-07' })).items.map((r) => r.repo), ['lab1/model-07'])
      assert.deepEqual((await hub.search({ text: 'lab2/model-0' })).items.map((r) => r.repo).sort(), ['lab2/model-02', 'lab2/model-05', 'lab2/model-08'])
      assert.equal((await hub.search({ text: 'nothing-matches-this' })).items.length, 0)
      assert.equal((await hub.search({ text: '%_\'"&|!():*' })).items.length > 0, true, 'punctuation-only text is no filter')

      const detection = await hub.search({ task: 'object-detection', tags: ['search-test'], limit: 100 })
      assert.equal(detection.items.length, 15)
      const evenQuad = await hub.search({ tags: ['quad', 'even'], limit: 100 })
      assert.deepEqual(evenQuad.items.map((r) => r.repo).sort(), list.filter((_, i) => i % 4 === 0 && i !== 44).map((r) => r.repo).sort())
      assert.equal((await hub.search({ owner: 'lab1', limit: 100 })).items.length, 15)

      const byDownloads = await hub.search({ tags: ['search-test'], sort: 'downloads', limit: 3 })
      assert.deepEqual(byDownloads.items.map((r) => [r.repo, r.downloads]), [[list[0]!.repo, 100], [list[7]!.repo, 93], [list[14]!.repo, 86]])

      for (const sort of ['name', 'updated', 'downloads', 'relevance'] as const) {
        const base = { tags: ['search-test'], sort, ...(sort === 'relevance' ? { text: 'model' } : {}) }
        const full = (await hub.search({ ...base, limit: 100 })).items.map((r) => r.repo)
        const paged: string[] = []
        let cursor: string | undefined
        let pages = 0
        do {
          const page = await hub.search({ ...base, limit: 7, cursor })
          paged.push(...page.items.map((r) => r.repo))
          cursor = page.nextCursor ?? undefined
          pages++
        } while (cursor)
        assert.deepEqual(paged, full, `keyset pages sorted by ${sort}`)
        assert.equal(pages, Math.ceil(44 / 7))
        assert.deepEqual((await hub.search({ ...base, limit: 7, offset: 14 })).items.map((r) => r.repo), full.slice(14, 21), `offset paging by ${sort}`)
      }
      const updated = (await hub.search({ tags: ['search-test'], limit: 100 })).items
      assert.ok(updated.every((r, i) => i === 0 || r.updatedAt <= updated[i - 1]!.updatedAt), 'default sort is most recently updated')

      await rejectsWith(hub.search({ cursor: 'garbage!' }), 'BAD_REQUEST', /cursor/)
      const nameCursor = (await hub.search({ tags: ['search-test'], sort: 'name', limit: 1 })).nextCursor!
      await rejectsWith(hub.search({ sort: 'downloads', cursor: nameCursor }), 'BAD_REQUEST', /sorted by downloads/)
      await rejectsWith(hub.search({ limit: 0 }), 'BAD_REQUEST', /limit/)
      await rejectsWith(hub.search({ sort: 'stars' as never }), 'BAD_REQUEST', /sort/)
      await rejectsWith(hub.search({ cursor: nameCursor, offset: 2, sort: 'name' }), 'BAD_REQUEST', /either/)
    })

    test('bulk import of 1,200 repositories is searchable at once', async () => {
      const list = Array.from({ length: 1200 }, (_, i) => ({ repo: `bulk/item-${i}`, description: `Bulk item number ${i}${i === 777 ? ' with the word zanzibar' : ''}`, tags: ['bulk', `b${i % 3}`] }))
      assert.deepEqual(await hub.createRepositories(list), { created: 1200 })
      assert.deepEqual((await hub.search({ text: 'zanzib' })).items.map((r) => r.repo), ['bulk/item-777'])
      assert.deepEqual((await hub.search({ text: 'bulk item 1199' })).items.map((r) => r.repo), ['bulk/item-1199'])
      assert.equal((await hub.search({ tags: ['bulk', 'b1'], owner: 'bulk', sort: 'name', offset: 399, limit: 5 })).items.length, 1)
      await rejectsWith(hub.createRepositories([{ repo: 'bulk/ok' }, { repo: 'Bad/Name' }]), 'INVALID_NAME')
      await rejectsWith(hub.getRepository('bulk/ok'), 'NOT_FOUND')
    })

    test('gc removes unreferenced blobs and stale temp files, keeps referenced ones', async () => {
      const kept = await hub.uploadBlob(new TextEncoder().encode('moved aside, then put back'))
      assert.equal(await hub.blobs.removeIf(kept.cid, async () => false), false)
      assert.deepEqual(await hub.readBlob(kept.cid), new TextEncoder().encode('moved aside, then put back'))
      assert.equal(await hub.blobs.removeIf(kept.cid, async () => true), true)
      assert.equal(await hub.hasBlob(kept.cid), false)
      assert.deepEqual(tmpFiles(), [])
      const orphan = await hub.uploadBlob(new TextEncoder().encode('an orphan nobody attaches'))
      const young = await hub.gc()
      assert.ok(!young.removedBlobs.includes(orphan.cid), 'blobs younger than the grace period survive')
      writeFileSync(join(t.dataDir, 'blobs', 'tmp', '999999999-deadbeef.part'), 'left by a crash')
      const result = await hub.gc({ graceMs: 0 })
      assert.ok(result.removedBlobs.includes(orphan.cid))
      assert.equal(result.removedTempFiles, 1)
      assert.equal(await hub.hasBlob(orphan.cid), false)
      assert.equal(await hub.hasBlob(cidForBytes(mlp)), true, 'referenced blobs are kept')
      assert.deepEqual(await hub.readBlob(cidForBytes(mlp)), mlp)
    })

    test('seedSamples publishes the samples once and skips them afterwards', async () => {
      const samples = [sampleModel('verity/tiny-mlp'), sampleModel('paddleocr/text-direction-classifier')]
      const first = await seedSamples(hub, samples)
      assert.deepEqual(first, { published: ['verity/tiny-mlp@1.00', 'paddleocr/text-direction-classifier@1.00'], skipped: [] })
      assert.deepEqual(await seedSamples(hub, samples), { published: [], skipped: first.published })
      const card = await hub.getModelCard('paddleocr/text-direction-classifier')
      assert.equal(card.repository.task, 'image-classification')
      assert.equal(card.latest?.onnx?.inputs[0]?.name, 'x')
      assert.equal((await hub.search({ text: 'paddleocr direction' })).items[0]?.repo, 'paddleocr/text-direction-classifier')
    })

    test('restart: close and reopen on the same dataDir keeps repositories, releases, files and blobs', async () => {
      const before = await hub.getModelCard('acme/mlp')
      writeFileSync(join(t.dataDir, 'blobs', 'tmp', `${process.pid}-0123456789abcdef.part`), 'from the previous run')
      await hub.close()
      await database.close()
      database = await t.open()
      hub = await createHub({ dataDir: t.dataDir, database })
      assert.deepEqual(tmpFiles(), [], 'stale temp files are cleaned at startup')
      assert.deepEqual(await hub.getModelCard('acme/mlp'), before)
      const resolved = await hub.resolveModel('acme/mlp@1.00')
      assert.deepEqual(await hub.readBlob(resolved.cid), mlp)
      assert.equal((await hub.search({ text: 'pedestrians', limit: 100 })).items.length, 9)
    })
  })
}

test('createHub without a database opens PGlite under <dataDir>/db and closes it', async () => {
  const backend = (await testDatabases())[0]!
  const t = await backend.create()
  try {
    let hub = await createHub({ dataDir: t.dataDir })
    assert.equal(hub.database.kind, 'pglite')
    await hub.createRepository({ repo: 'solo/model' })
    await hub.close()
    hub = await createHub({ dataDir: t.dataDir })
    assert.equal((await hub.getRepository('solo/model')).repo, 'solo/model')
    await hub.close()
  } finally {
    await t.dispose()
  }
})

test('public API (review changes to this list)', async () => {
  const api = await import('./index.ts')
  assert.deepEqual(Object.keys(api).sort(), ['blobShard', 'createBlobStore', 'createHub', 'hubMigrations', 'searchWords', 'seedSamples'])
  const backend = (await testDatabases())[0]!
  const t = await backend.create()
  try {
    const hub = await createHub({ dataDir: t.dataDir })
    assert.deepEqual(Object.keys(hub).sort(), [
      'addFile', 'blobs', 'close', 'createRelease', 'createRepositories', 'createRepository', 'database', 'gc', 'getModelCard', 'getRepository',
      'hasBlob', 'listFiles', 'listReleases', 'maxUploadBytes', 'openBlob', 'publishRelease', 'pushFile', 'readBlob', 'recordDownload',
      'removeFile', 'resolveModel', 'search', 'updateRepository', 'uploadBlob',
    ])
    await hub.close()
  } finally {
    await t.dispose()
  }
})
