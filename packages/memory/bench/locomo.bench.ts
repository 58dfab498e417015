/**
 * Retrieval quality on the LoCoMo dev split (/work/shared/datasets/locomo, see its README): each
 * conversation's sessions are ingested in order into one user (message id = dia_id, timestamp = the
 * session date), then every question of categories 1-4 is searched. Evidence recall@k = share of a
 * question's evidence turns among the `sources` of the top k memories; MRR over the first evidence hit;
 * session recall@5 = share of evidence sessions touched by the top 5. No LLM is involved.
 *
 * Env: LOCOMO_PATH (default /work/shared/datasets/locomo/locomo-dev.json), LOCOMO_EMBEDDER=use|hashing|none,
 * LOCOMO_VECTORS=text (embed each window's text instead of the default mean of its messages).
 */
import { readFileSync, existsSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { generatePrivateKey } from '@verity/protocol'
import type { BenchContext } from '@verity/bench'
import { createHashingEmbedder, createLocalSigner, createMemoryService, createMemoryStore, createSentenceEncoder, type Embedder, type RetrievalOptions, type SegmentOptions } from '../src/index.ts'

type Turn = { speaker: string; dia_id: string; text: string; blip_caption?: string }
type Sample = { sample_id: string; conversation: Record<string, unknown> & { speaker_a: string; speaker_b: string }; qa: { question: string; evidence: string[]; category: number }[] }

const months = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december']

/** "1:56 pm on 8 May, 2023" -> epoch ms (UTC). */
export function parseSessionDate(s: string): number {
  const m = /(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})/i.exec(s)
  if (m === null) throw new Error(`unparseable session date ${JSON.stringify(s)}`)
  let h = Number(m[1]) % 12
  if (m[3]!.toLowerCase() === 'pm') h += 12
  return Date.UTC(Number(m[6]), months.indexOf(m[5]!.toLowerCase()), Number(m[4]), h, Number(m[2]))
}

/** Evidence ids as written in the data ("D8:6; D9:17", "D:11:26", "D30:05") -> canonical "D<s>:<t>". */
export function normalizeEvidence(evidence: readonly string[]): string[] {
  const out = new Set<string>()
  for (const e of evidence) {
    for (const part of e.split(/[;,\s]+/)) {
      const m = /^D:?(\d+):(\d+)$/.exec(part.trim())
      if (m !== null) out.add(`D${Number(m[1])}:${Number(m[2])}`)
    }
  }
  return [...out]
}

export type LocomoResult = { byCategory: Map<number, { n: number; r1: number; r5: number; r10: number; r50: number; mrr: number; s5: number }>; ingestSeconds: number; searchMsP50: number }

export async function runLocomo(options: { embedder: Embedder | null; segment?: Partial<SegmentOptions>; retrieval?: Partial<RetrievalOptions>; samples?: number; progress?: (m: string) => void }): Promise<LocomoResult> {
  const path = process.env.LOCOMO_PATH ?? '/work/shared/datasets/locomo/locomo-dev.json'
  const data = JSON.parse(readFileSync(path, 'utf8')) as Sample[]
  const store = await createMemoryStore({ memory: true })
  const embedder = options.embedder ?? createHashingEmbedder(8)
  const service = createMemoryService({ store, embedder, signer: createLocalSigner(generatePrivateKey()), worker: false, segment: options.segment, retrieval: { ...(options.embedder === null ? { denseWeight: 0 } : {}), ...options.retrieval } })
  const byCategory: LocomoResult['byCategory'] = new Map()
  const latencies: number[] = []
  let ingestMs = 0
  try {
    for (const sample of data.slice(0, options.samples ?? data.length)) {
      const conv = sample.conversation
      const user = sample.sample_id
      const t0 = performance.now()
      for (let s = 1; Array.isArray(conv[`session_${s}`]); s++) {
        const ts = parseSessionDate(conv[`session_${s}_date_time`] as string)
        const turns = conv[`session_${s}`] as Turn[]
        await service.add({
          user_id: user,
          thread_id: user,
          messages: turns.map((t, i) => ({
            id: t.dia_id,
            role: t.speaker === conv.speaker_a ? 'user' : 'assistant',
            name: t.speaker,
            content: t.blip_caption ? `${t.text} [shares a photo of ${t.blip_caption}]` : t.text,
            // turns within a session are seconds apart; keeps their order and the session's date
            timestamp: ts + i * 1000,
          })),
        })
      }
      await service.processJobs()
      ingestMs += performance.now() - t0
      options.progress?.(`${user}: ingested`)
      for (const qa of sample.qa) {
        if (qa.category < 1 || qa.category > 4) continue
        const evidence = normalizeEvidence(qa.evidence)
        if (evidence.length === 0) continue
        const q0 = performance.now()
        const { memories } = await service.search({ user_id: user, query: qa.question, limit: 50 })
        latencies.push(performance.now() - q0)
        const recallAt = (k: number) => {
          const found = new Set(memories.slice(0, k).flatMap((m) => m.sources))
          return evidence.filter((e) => found.has(e)).length / evidence.length
        }
        const first = memories.findIndex((m) => m.sources.some((s) => evidence.includes(s)))
        const sessions = new Set(evidence.map((e) => e.split(':')[0]))
        const top5Sessions = new Set(memories.slice(0, 5).flatMap((m) => m.sources.map((s) => s.split(':')[0])))
        const row = byCategory.get(qa.category) ?? { n: 0, r1: 0, r5: 0, r10: 0, r50: 0, mrr: 0, s5: 0 }
        row.n++
        row.r1 += recallAt(1)
        row.r5 += recallAt(5)
        row.r10 += recallAt(10)
        row.r50 += recallAt(50)
        row.mrr += first < 0 ? 0 : 1 / (first + 1)
        row.s5 += [...sessions].filter((s) => top5Sessions.has(s)).length / sessions.size
        byCategory.set(qa.category, row)
      }
    }
  } finally {
    await service.close()
    await store.close()
  }
  latencies.sort((a, b) => a - b)
  return { byCategory, ingestSeconds: ingestMs / 1000, searchMsP50: latencies[Math.floor(latencies.length / 2)] ?? 0 }
}

export function locomoRows(result: LocomoResult): (string | number)[][] {
  const names: Record<number, string> = { 1: '1 multi-hop', 2: '2 temporal', 3: '3 open-domain', 4: '4 single-hop' }
  const rows: (string | number)[][] = []
  const total = { n: 0, r1: 0, r5: 0, r10: 0, r50: 0, mrr: 0, s5: 0 }
  for (const c of [1, 2, 3, 4]) {
    const r = result.byCategory.get(c)
    if (r === undefined) continue
    rows.push([names[c]!, r.n, (100 * r.r1) / r.n, (100 * r.r5) / r.n, (100 * r.r10) / r.n, (100 * r.r50) / r.n, r.mrr / r.n, (100 * r.s5) / r.n])
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += r[k]
  }
  rows.push(['overall', total.n, (100 * total.r1) / total.n, (100 * total.r5) / total.n, (100 * total.r10) / total.n, (100 * total.r50) / total.n, total.mrr / total.n, (100 * total.s5) / total.n])
  return rows
}

export default async function locomoBench(ctx: BenchContext): Promise<void> {
  const path = process.env.LOCOMO_PATH ?? '/work/shared/datasets/locomo/locomo-dev.json'
  if (!existsSync(path)) {
    console.log(`\nLoCoMo bench skipped: ${path} not found (set LOCOMO_PATH).`)
    return
  }
  const which = process.env.LOCOMO_EMBEDDER ?? 'use'
  const embedder = which === 'none' ? null : which === 'hashing' ? createHashingEmbedder(256) : createSentenceEncoder()
  const vectors = process.env.LOCOMO_VECTORS === 'text' ? 'text' : undefined
  const result = await runLocomo({ embedder, samples: ctx.quick ? 1 : undefined, progress: ctx.progress, ...(vectors ? { segment: { vectors } } : {}) })
  ctx.printTable(
    `LoCoMo dev split, evidence retrieval (categories 1-4, no LLM, embedder ${embedder?.id ?? 'none'}${ctx.quick ? ', quick: first conversation only' : ''}; ingest ${result.ingestSeconds.toFixed(1)} s, search p50 ${result.searchMsP50.toFixed(1)} ms)`,
    ['category', 'questions', 'R@1', 'R@5', 'R@10', 'R@50', 'MRR', 'session R@5'],
    locomoRows(result),
  )
  if (ctx.quick) return
  // Ablations (lexical only, no model): raw turns as units, then the 5-turn windows.
  for (const window of [1, 5]) {
    const r = await runLocomo({ embedder: null, segment: { window }, progress: ctx.progress })
    const overall = locomoRows(r).at(-1)!
    ctx.printTable(`Ablation: BM25 only, window ${window}`, ['category', 'questions', 'R@1', 'R@5', 'R@10', 'R@50', 'MRR', 'session R@5'], [overall])
  }
}
