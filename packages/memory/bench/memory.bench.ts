/**
 * Speed and memory of the memory service (PGlite on disk, in process): add latency (the write path:
 * messages stored and a job queued; extraction excluded), ingest throughput, and search latency with
 * 100,000 memories for one user and 1,000,000 across users (quick: 10,000 and 100,000), each query
 * embedded by the real Universal Sentence Encoder lite (ONNX on onnxruntime, worker thread, query
 * cache off, every query fresh), and that encoder against its TensorFlow.js original. The background
 * memories are bulk-loaded with SQL; their 512-d vectors come from the hashing embedder (what is
 * scanned costs the same whatever produced it). RSS and JS heap are reported for the 100k user and the 1M rows.
 */
import { performance } from 'node:perf_hooks'
import { generatePrivateKey } from '@verity/protocol'
import { summarize, sample, type BenchContext } from '@verity/bench'
import { createHashingEmbedder, createLocalSigner, createMemoryService, createMemoryStore, createSentenceEncoder, type MemoryStore } from '../src/index.ts'
import { vectorToBytes } from '../src/embedder.ts'

// A synthetic vocabulary of 20,000 pronounceable words drawn with a Zipf law (s = 1), like natural text:
// a few words are everywhere, most are rare. A tiny vocabulary would make every query term match a
// fifth of all memories, which no real conversation does.
const syllables = 'ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo fu ga ge gi go gu la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo vu'.split(' ')
const vocabulary = Array.from({ length: 20_000 }, (_, i) => syllables[i % 50]! + syllables[Math.floor(i / 50) % 50]! + (i >= 2500 ? syllables[Math.floor(i / 2500) % 50]! : ''))
const zipfCdf = (() => {
  const w = vocabulary.map((_, i) => 1 / (i + 1))
  const total = w.reduce((a, b) => a + b, 0)
  let acc = 0
  return w.map((x) => (acc += x / total))
})()

function sentence(i: number): string {
  let x = (i * 2654435761 + 1) >>> 0
  const out: string[] = []
  for (let k = 0; k < 14; k++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    const u = x / 4294967296
    let lo = 0
    let hi = zipfCdf.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (zipfCdf[mid]! < u) lo = mid + 1
      else hi = mid
    }
    out.push(vocabulary[lo]!)
  }
  return `${out.join(' ')} number ${i}`
}

async function bulkLoad(store: MemoryStore, user: string, count: number, embed: (t: string[]) => Promise<Float32Array[]>, withVectors: boolean, pgvectorTable = false): Promise<void> {
  const batch = 2000
  const now = Date.now()
  await store.query('INSERT INTO memory_users (user_id, revision) VALUES ($1, 1) ON CONFLICT (user_id) DO UPDATE SET revision = memory_users.revision + 1', [user])
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start)
    const texts = Array.from({ length: n }, (_, i) => sentence(start + i))
    const vecs = withVectors ? await embed(texts) : []
    const ids = texts.map((_, i) => `bulk_${user}_${start + i}`)
    const times = texts.map((_, i) => now - (count - start - i) * 60_000)
    await store.query(
      `INSERT INTO memory_items (user_id, id, text, search_text, categories, type, importance, event_time, record_time, updated_at, sources, extractor, embedding)
       SELECT $1, id, t, t, '{}', 'episodic', 0.3, ts, ts, ts, ARRAY[id], 'segmenter', e FROM unnest($2::text[], $3::text[], $4::float8[], $5::bytea[]) AS u(id, t, ts, e)`,
      [user, ids, texts, times, withVectors ? vecs.map(vectorToBytes) : texts.map(() => null)],
    )
    if (withVectors && pgvectorTable) {
      await store.query(`INSERT INTO memory_vectors_${vecs[0]!.length} (user_id, id, embedding, updated_at) SELECT $1, id, e::vector, 0 FROM unnest($2::text[], $3::text[]) AS u(id, e)`, [user, ids, vecs.map((v) => `[${v.join(',')}]`)])
    }
  }
}

/**
 * The query encoder on its two backends, side by side in one process before the store fills: query
 * latency through the worker thread (cache off, every query fresh), batch-of-32 throughput (what
 * extraction and re-embedding use) and the first call, which loads (and for ONNX converts) the model.
 */
async function encoderBackends(ctx: BenchContext, queries: readonly string[]): Promise<void> {
  const batchTexts = Array.from({ length: 32 * 20 }, (_, i) => sentence(100_000 + i))
  const results = []
  for (const backend of ['tfjs', 'onnx'] as const) {
    const encoder = createSentenceEncoder({ backend, cacheSize: 0 })
    try {
      const t0 = performance.now()
      await encoder.embed(['warm-up'])
      const firstCallS = (performance.now() - t0) / 1000
      let qi = 0
      const query = summarize(await sample(() => encoder.embed([queries[qi++ % queries.length]!]), ctx.quick ? 100 : 300))
      const batches = ctx.quick ? 5 : 20
      let bi = 0
      const batch = summarize(await sample(() => encoder.embed(batchTexts.slice((bi % 20) * 32, (bi++ % 20) * 32 + 32)), batches, 2))
      results.push({ firstCallS, query, batch })
    } finally {
      await encoder.close?.()
    }
  }
  const [tfjs, onnx] = results as [(typeof results)[number], (typeof results)[number]]
  const row = (label: string, a: number, b: number, higherIsBetter = false) => [label, a, b, `${(higherIsBetter ? b / a : a / b).toFixed(1)}×`]
  ctx.printTable('USE-lite query encoder, TF.js (WASM + SIMD) vs ONNX (onnxruntime, 1 thread), worker thread, same vectors', ['measure', 'TF.js', 'ONNX', 'speed-up'], [
    row('query embedding p50 (ms)', tfjs.query.p50, onnx.query.p50),
    row('query embedding p95 (ms)', tfjs.query.p95, onnx.query.p95),
    row('query embedding p99 (ms)', tfjs.query.p99, onnx.query.p99),
    row('batch of 32 sentences, p50 (ms)', tfjs.batch.p50, onnx.batch.p50),
    row('batch of 32 sentences, throughput (texts/s)', 32_000 / tfjs.batch.p50, 32_000 / onnx.batch.p50, true),
    row('first call, model load (+ ONNX conversion) (s)', tfjs.firstCallS, onnx.firstCallS),
  ])
}

export default async function memoryBench(ctx: BenchContext): Promise<void> {
  const perUser = ctx.quick ? 10_000 : 100_000
  const total = ctx.quick ? 100_000 : 1_000_000
  const embedder = createHashingEmbedder(512)
  const store = await createMemoryStore({ dataDir: ctx.tmpDir })
  const signer = createLocalSigner(generatePrivateKey())
  // Writes and bulk vectors use the hashing embedder; searches embed each query with the real model.
  const service = createMemoryService({ store, embedder, signer, worker: false, vectorIndex: 'in-process' })
  const encoder = createSentenceEncoder({ cacheSize: 0 })
  // Dense retrieval two ways over the same rows: pgvector's HNSW index (PGlite ships it) and the in-process index.
  // PGlite's HNSW runs in WASM: building it for 10,000 vectors takes over a minute, so the full run
  // (100,000) leaves it out unless MEMORY_BENCH_PGVECTOR=1; the quick run always measures it.
  const withPgvector = store.pgvector && (ctx.quick || process.env.MEMORY_BENCH_PGVECTOR === '1')
  const searchers = [
    ...(withPgvector ? [{ name: 'pgvector HNSW', service: createMemoryService({ store, embedder: encoder, signer, worker: false, vectorIndex: 'pgvector' }) }] : []),
    { name: 'in-process index', service: createMemoryService({ store, embedder: encoder, signer, worker: false, vectorIndex: 'in-process' }) },
  ]
  const rows: (string | number)[][] = []
  const mib = (n: number) => n / 2 ** 20
  const mem = () => `${mib(process.memoryUsage().rss).toFixed(0)} MiB rss`
  const memoryRows: (string | number)[][] = []
  // Fresh queries: 4 words of a stored memory plus a serial number, so no two are alike.
  const queries = Array.from({ length: 400 }, (_, i) => `${sentence(i * 397).split(' ').slice(3, 7).join(' ')} ${i}`)
  try {
    await encoderBackends(ctx, queries)
    // add: the write path of POST /v1/memories (3 messages per call, as a chat turn pair plus context)
    let seq = 0
    const addOnce = () => service.add({ user_id: 'writer', messages: Array.from({ length: 3 }, () => ({ id: `w${seq++}`, role: 'user', content: sentence(seq) })) })
    const adds = summarize(await sample(addOnce, ctx.quick ? 200 : 1000))
    rows.push(['add (3 messages, extraction excluded)', adds.p50, adds.p95, adds.p99, '< 30 ms p95'])
    // ingest: messages/s through add in batches of 100 (one session), then through the worker
    const batches = ctx.quick ? 10 : 40
    let t0 = performance.now()
    for (let b = 0; b < batches; b++) await service.add({ user_id: 'ingest', messages: Array.from({ length: 100 }, (_, i) => ({ id: `i${b}_${i}`, role: 'user', content: sentence(b * 100 + i) })) })
    const addRate = (batches * 100) / ((performance.now() - t0) / 1000)
    t0 = performance.now()
    await service.processJobs()
    const workerRate = (batches * 100 + seq) / ((performance.now() - t0) / 1000)
    ctx.progress(`add/ingest done (${mem()}); bulk-loading ${total} memories`)

    const hnsw = 'memory_vectors_512_hnsw'
    if (withPgvector) {
      await searchers[0]!.service.processJobs() // creates the pgvector table; its index is built after the bulk load
      await store.query(`DROP INDEX IF EXISTS ${hnsw}`)
    }
    await bulkLoad(store, 'big', perUser, (t) => embedder.embed(t), true, withPgvector)
    // Loaded with SQL, past the worker that runs ANALYZE on PGlite after every 5,000 new memories.
    await store.query('ANALYZE memory_items')
    const throughput: (string | number)[][] = [
      ['ingest through add (messages/s, batches of 100; target >= 2000)', addRate],
      ['segmenting worker (messages/s, hashing embedder)', workerRate],
    ]
    if (withPgvector) {
      const b0 = performance.now()
      await store.query(`CREATE INDEX ${hnsw} ON memory_vectors_512 USING hnsw (embedding vector_ip_ops)`)
      throughput.push([`pgvector HNSW index build, ${perUser.toLocaleString('en')} vectors (s)`, (performance.now() - b0) / 1000])
    }
    let qi = 0
    const searchRow = async (name: string, searcher: (typeof searchers)[number]['service'], label: string) => {
      const s = summarize(await sample(() => searcher.search({ user_id: 'big', query: queries[qi++ % queries.length]!, limit: 10 }), ctx.quick ? 100 : 200))
      rows.push([`${label} [${name}]`, s.p50, s.p95, s.p99, '< 15 ms p50, < 40 ms p95'])
    }
    let previous = process.memoryUsage()
    memoryRows.push([`${perUser.toLocaleString('en')} memories bulk-loaded, no user index yet`, mib(previous.rss), mib(previous.heapUsed), ''])
    for (const { name, service: searcher } of searchers) {
      const l0 = performance.now()
      await searcher.search({ user_id: 'big', query: 'warm-up', limit: 10 })
      throughput.push([`first search of the ${perUser.toLocaleString('en')}-memory user, index load (s) [${name}]`, (performance.now() - l0) / 1000])
      const loaded = process.memoryUsage()
      memoryRows.push([`${perUser.toLocaleString('en')}-memory user ready [${name}]`, mib(loaded.rss), mib(loaded.heapUsed), mib(loaded.rss - previous.rss)])
      previous = loaded
      await searchRow(name, searcher, `search, ${perUser.toLocaleString('en')} memories, USE-lite query embedding`)
    }
    const enc = summarize(await sample(() => encoder.embed([queries[qi++ % queries.length]!]), 100))
    rows.push(['  of which: query embedding alone (USE-lite on ONNX, worker thread)', enc.p50, enc.p95, enc.p99, ''])
    // The same queries on the TF.js original at the same point (large heap, warm store), for comparison.
    const tfjsEncoder = createSentenceEncoder({ backend: 'tfjs', cacheSize: 0 })
    try {
      const tfjs = summarize(await sample(() => tfjsEncoder.embed([queries[qi++ % queries.length]!]), 100))
      rows.push(['  (the same on the TF.js original, for comparison)', tfjs.p50, tfjs.p95, tfjs.p99, ''])
    } finally {
      await tfjsEncoder.close?.()
    }
    const hashingSearch = summarize(await sample(() => service.search({ user_id: 'big', query: queries[qi++ % queries.length]!, limit: 10 }), 100))
    rows.push(['  search with a hashing query vector (no model) [in-process index]', hashingSearch.p50, hashingSearch.p95, hashingSearch.p99, ''])
    for (let u = 0, left = total - perUser; left > 0; u++) {
      const n = Math.min(perUser, left)
      await bulkLoad(store, `other${u}`, n, (t) => embedder.embed(t), false)
      left -= n
      ctx.progress(`loaded ${total - left} (${mem()})`)
    }
    await store.query('ANALYZE memory_items')
    for (const { name, service: searcher } of searchers) {
      await searchRow(name, searcher, `search, ${perUser.toLocaleString('en')} memories of ${total.toLocaleString('en')}, USE-lite query embedding`)
    }
    const full = process.memoryUsage()
    memoryRows.push([`after loading ${total.toLocaleString('en')} rows, both indexes held`, mib(full.rss), mib(full.heapUsed), mib(full.rss - previous.rss)])
    ctx.printTable('Memory service latency (ms, PGlite on disk in process, 512-d vectors, limit 10)', ['operation', 'p50', 'p95', 'p99', 'target'], rows)
    ctx.printTable('Memory service throughput and cold start', ['measure', 'value'], throughput)
    ctx.printTable('Memory service process memory (MiB)', ['state', 'RSS', 'JS heap used', 'RSS growth since the previous row'], memoryRows)
  } finally {
    await service.close()
    for (const { service: searcher } of searchers) await searcher.close()
    await encoder.close?.()
    await store.close()
  }
}
