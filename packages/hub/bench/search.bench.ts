/**
 * Hub search at scale: bulk-inserts 100,000 repositories (10,000 with --quick) with a Zipf-distributed
 * vocabulary, then times the query kinds the node serves (text prefix, multi-word, task + downloads,
 * all-of tags, owner, browse, deep keyset page) on PGlite and, when reachable, PostgreSQL.
 * Target: p50 well under 20 ms at 100k.
 */
import { performance } from 'node:perf_hooks'
import { sql } from '@verity/db'
import { testDatabases } from '@verity/db/testing'
import { sample, summarize, type BenchContext } from '@verity/bench'
import { createHub, type CreateRepositoryParameters, type Hub, type SearchParameters } from '@verity/hub'

function rng(seed: number): () => number {
  let x = seed >>> 0
  return () => {
    x = (x + 0x6d2b79f5) >>> 0
    let t = x
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vi', 'zo', 'bel', 'dor', 'fen', 'gar', 'hul', 'jin', 'pra', 'sol', 'tek', 'ul', 'wex', 'yor']
const english = ['model', 'vision', 'text', 'audio', 'detector', 'classifier', 'segmentation', 'transformer', 'tiny', 'fast', 'quantized', 'multilingual', 'speech', 'embedding', 'ocr', 'retrieval', 'diffusion', 'pose', 'depth', 'tabular']
const tasks = ['image-classification', 'object-detection', 'text-recognition', 'text-generation', 'text-classification', 'token-classification', 'speech-recognition', 'image-segmentation', 'depth-estimation', 'feature-extraction', 'tabular-classification', 'translation']

function vocabulary(size: number): string[] {
  const random = rng(1)
  const words = new Set<string>(english)
  while (words.size < size) {
    const n = 2 + Math.floor(random() * 3)
    words.add(Array.from({ length: n }, () => syllables[Math.floor(random() * syllables.length)]).join(''))
  }
  return [...words]
}

export function corpus(count: number): { repos: CreateRepositoryParameters[]; words: string[]; tags: string[]; owners: string[] } {
  const random = rng(42)
  const words = vocabulary(5000)
  // Zipf: word i has weight 1/(i+1); sample by inverse CDF over a precomputed table.
  const cdf: number[] = []
  let total = 0
  for (let i = 0; i < words.length; i++) cdf.push((total += 1 / (i + 1)))
  const zipf = () => {
    const u = random() * total
    let lo = 0, hi = cdf.length - 1
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid]! < u) lo = mid + 1; else hi = mid }
    return words[lo]!
  }
  const tags = words.slice(0, 80)
  const owners = Array.from({ length: Math.max(100, count / 50) }, (_, i) => `${words[(i * 7) % words.length]}-${i}`)
  const repos = Array.from({ length: count }, (_, i): CreateRepositoryParameters => ({
    repo: `${owners[Math.floor(random() * owners.length)]}/${zipf()}-${zipf()}-${i}`,
    description: Array.from({ length: 12 + Math.floor(random() * 30) }, zipf).join(' '),
    task: tasks[Math.floor(random() * tasks.length)]!,
    license: random() < 0.7 ? 'Apache-2.0' : 'MIT',
    tags: [...new Set(Array.from({ length: 1 + Math.floor(random() * 4) }, () => tags[Math.floor(Math.pow(random(), 2) * tags.length)]!))],
  }))
  return { repos, words, tags, owners }
}

type Rows = { inserts: (string | number)[][]; queries: (string | number)[][] }

async function run(ctx: BenchContext, hub: Hub, backend: string, count: number, data: ReturnType<typeof corpus>, out: Rows): Promise<void> {
  ctx.progress(`${backend}: inserting ${count} repositories`)
  const t0 = performance.now()
  for (let i = 0; i < data.repos.length; i += 10_000) await hub.createRepositories(data.repos.slice(i, i + 10_000))
  const insertMs = performance.now() - t0
  // Spread downloads and update times so sorts have something to order.
  await sql`update hub_repositories set downloads = (id * 7919) % 100003, updated_at = now() - ((id * 104729) % 1000000) * interval '1 second'`.execute(hub.database.db)
  // That update rewrote every row; vacuum so the bench measures a settled table, not 100k dead tuples.
  await sql`vacuum analyze hub_repositories`.execute(hub.database.db)
  out.inserts.push([backend, count, insertMs / 1000, Math.round(count / (insertMs / 1000))])

  const rare = data.words.slice(800, 900)
  const common = ['model', 'vision', 'text', 'ka', 'lo']
  const deepCursor = await (async () => {
    let cursor: string | undefined
    for (let i = 0; i < 50; i++) cursor = (await hub.search({ limit: 20, cursor })).nextCursor ?? undefined
    return cursor
  })()
  const kinds: Array<[string, (i: number) => SearchParameters]> = [
    ['text: one rare word', (i) => ({ text: rare[i % rare.length]! })],
    ['text: prefix of a rare word', (i) => ({ text: rare[i % rare.length]!.slice(0, 4) })],
    ['text: common word (relevance)', (i) => ({ text: common[i % common.length]! })],
    ['text: two words', (i) => ({ text: `${common[i % common.length]} ${data.words[20 + (i % 50)]}` })],
    ['text + task + tag', (i) => ({ text: data.words[10 + (i % 30)]!, task: tasks[i % tasks.length]!, tags: [data.tags[i % 10]!] })],
    ['task, by downloads', (i) => ({ task: tasks[i % tasks.length]!, sort: 'downloads' })],
    ['two tags (all-of), by updated', (i) => ({ tags: [data.tags[i % 20]!, data.tags[20 + (i % 40)]!] })],
    ['owner, by name', (i) => ({ owner: data.owners[(i * 13) % data.owners.length]!, sort: 'name' })],
    ['browse: newest', () => ({})],
    ['browse: page 51 (keyset)', () => ({ cursor: deepCursor })],
    ['browse: by name', () => ({ sort: 'name' })],
  ]
  const iterations = ctx.quick ? 40 : 150
  for (const [kind, params] of kinds) {
    ctx.progress(`${backend}: ${kind}`)
    let i = 0
    let hits = 0
    const times = await sample(async () => { hits += (await hub.search(params(i++))).items.length }, iterations, 5)
    const s = summarize(times)
    out.queries.push([backend, kind, Math.round(hits / (iterations + 5)), s.p50, s.p95])
  }
}

export default async function searchBench(ctx: BenchContext): Promise<void> {
  const count = ctx.quick ? 10_000 : 100_000
  const data = corpus(count)
  const rows: Rows = { inserts: [], queries: [] }
  for (const backend of await testDatabases()) {
    if (backend.skip) {
      ctx.progress(`${backend.kind}: ${backend.skip}`)
      continue
    }
    let t
    try {
      t = await backend.create()
    } catch (error) {
      ctx.progress(`${backend.kind}: ${(error as Error).message}`)
      continue
    }
    const database = await t.open()
    const hub = await createHub({ dataDir: t.dataDir, database })
    try {
      await run(ctx, hub, backend.kind, count, data, rows)
    } finally {
      await hub.close()
      await database.close()
      await t.dispose()
    }
  }
  ctx.printTable(`Hub bulk import (createRepositories, batches of 10,000)`, ['backend', 'repositories', 'seconds', 'rows/s'], rows.inserts)
  ctx.printTable(`Hub search over ${count.toLocaleString('en')} repositories (limit 20)`, ['backend', 'query', 'hits/page', 'p50 ms', 'p95 ms'], rows.queries)
}
