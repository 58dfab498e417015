/**
 * The offline segmenter: with no LLM configured, messages become retrievable units without any model
 * pretending to have understood them. Each message ends one unit: a window of up to `window`
 * consecutive messages of the same thread (no gap longer than `gapMs`), whose `sources` list every
 * message it covers. Units carry the speakers' names and the message date (and dates that relative
 * expressions resolve to) in their search text, so "when" questions and name questions match.
 */
import type { Category } from './types.ts'
import { dateEnrichment, formatDay } from './temporal.ts'

export type SegmentMessage = { id: string; role: string; name: string | null; content: string; ts: number; thread_id: string | null }
export type Segment = { sources: string[]; text: string; searchText: string; eventTime: number; categories: Category[] }

/**
 * `window`: messages per unit; `gapMs`: longest pause inside a unit; `vectors`: 'text' embeds each
 * unit's text, 'mean' embeds each message once and averages (about `window` times less model work).
 */
export type SegmentOptions = { window: number; gapMs: number; vectors: 'text' | 'mean' }
export const defaultSegmentOptions: SegmentOptions = { window: 5, gapMs: 6 * 3_600_000, vectors: 'mean' }

export function speakerLine(m: { role: string; name: string | null; content: string }): string {
  return `${m.name ?? m.role}: ${m.content}`
}

/**
 * Units for the `fresh` messages; `history` holds the messages before them in the same thread (oldest
 * first), which windows may reach back into.
 */
export function segmentMessages(history: readonly SegmentMessage[], fresh: readonly SegmentMessage[], options: SegmentOptions = defaultSegmentOptions): Segment[] {
  const all = [...history, ...fresh]
  const out: Segment[] = []
  for (let i = history.length; i < all.length; i++) {
    const end = all[i]!
    const window: SegmentMessage[] = [end]
    for (let j = i - 1; j >= 0 && window.length < options.window; j--) {
      const m = all[j]!
      if (m.thread_id !== end.thread_id || window[0]!.ts - m.ts > options.gapMs) break
      window.unshift(m)
    }
    const text = window.map(speakerLine).join('\n')
    const dates = new Set<string>([formatDay(end.ts)])
    for (const m of window) {
      const extra = dateEnrichment(m.content, m.ts)
      if (extra) dates.add(extra)
    }
    out.push({ sources: window.map((m) => m.id), text, searchText: `${text}\n${[...dates].join(' ')}`, eventTime: end.ts, categories: guessCategories(text) })
  }
  return out
}

const categoryWords: [Category, RegExp][] = [
  ['career', /\b(job|work|career|office|boss|colleague|promotion|hired|interview|company|business|salary|manager|project|client)s?\b/i],
  ['relationships', /\b(friend|family|mom|mother|dad|father|wife|husband|partner|kid|child|children|son|daughter|sister|brother|girlfriend|boyfriend|married|wedding|dating)s?\b/i],
  ['health', /\b(health|doctor|sick|ill|hospital|exercise|gym|run|running|yoga|diet|sleep|therapy|medication|injury|pain|mental)\b/i],
  ['finance', /\b(money|bank|pay|paid|budget|invest|investment|savings|loan|debt|rent|price|cost|bought|buy)\b/i],
  ['learning', /\b(learn|learning|study|school|college|university|course|class|degree|book|read|reading|teacher|education)\b/i],
  ['travel', /\b(trip|travel|flight|vacation|holiday|visit|visited|abroad|beach|hotel|road trip|camping)\b/i],
  ['interests', /\b(hobby|music|paint|painting|art|game|games|movie|movies|sport|sports|cook|cooking|dance|guitar|photography|hiking|pottery|garden)\b/i],
  ['productivity', /\b(plan|schedule|goal|deadline|todo|routine|habit|organize|calendar|productive)\b/i],
  ['identity', /\b(i am|i'm a|my name|identify|identity|born|grew up|religion|believe)\b/i],
  ['private', /\b(password|secret|ssn|private|confidential)\b/i],
]

/** Keyword guesses at categories for units no model has read (a hint for filtering, not a judgement). */
export function guessCategories(text: string): Category[] {
  const out: Category[] = []
  for (const [c, re] of categoryWords) if (re.test(text)) out.push(c)
  return out
}
