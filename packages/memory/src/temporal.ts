/**
 * Time awareness: relative dates in a message ("yesterday", "last Saturday", "two weeks ago") are
 * resolved against the message's own time, and dates in a query become a time window for ranking.
 * All computations are in UTC days.
 */
const DAY = 86_400_000
const months = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december']
const weekdays = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']
const numbers: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, few: 3, couple: 2, several: 3 }

export type TimeWindow = { from: number; to: number; phrase: string }

export function startOfDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY
}

/** "8 May 2023" */
export function formatDay(ms: number): string {
  const d = new Date(ms)
  return `${d.getUTCDate()} ${months[d.getUTCMonth()]![0]!.toUpperCase()}${months[d.getUTCMonth()]!.slice(1)} ${d.getUTCFullYear()}`
}

/** "May 2023" */
export function formatMonth(ms: number): string {
  const d = new Date(ms)
  return `${months[d.getUTCMonth()]![0]!.toUpperCase()}${months[d.getUTCMonth()]!.slice(1)} ${d.getUTCFullYear()}`
}

function monthWindow(year: number, month: number, phrase: string): TimeWindow {
  return { from: Date.UTC(year, month, 1), to: Date.UTC(year, month + 1, 1) - 1, phrase }
}

/**
 * Finds relative and absolute time expressions in `text` and resolves them against `ref` (epoch ms).
 * Returns one window per expression, in order of appearance.
 */
export function resolveTimeExpressions(text: string, ref: number): TimeWindow[] {
  const out: TimeWindow[] = []
  const lower = text.toLowerCase()
  const today = startOfDay(ref)
  const day = (offset: number, phrase: string): TimeWindow => ({ from: today + offset * DAY, to: today + (offset + 1) * DAY - 1, phrase })
  for (const m of lower.matchAll(/\b(yesterday|today|tonight|tomorrow|this morning|last night)\b/g)) {
    const w = m[1]!
    out.push(day(w === 'yesterday' || w === 'last night' ? -1 : w === 'tomorrow' ? 1 : 0, w))
  }
  for (const m of lower.matchAll(/\b(last|this|next|past) (week|weekend|month|year|sunday|monday|tuesday|wednesday|thursday|friday|saturday)\b/g)) {
    const [phrase, rel, unit] = [m[0], m[1]!, m[2]!]
    const sign = rel === 'next' ? 1 : rel === 'this' ? 0 : -1
    const wd = weekdays.indexOf(unit)
    const dow = new Date(today).getUTCDay()
    if (wd >= 0) {
      let delta = wd - dow
      if (sign < 0) delta = delta >= 0 ? delta - 7 : delta
      if (sign > 0) delta = delta <= 0 ? delta + 7 : delta
      out.push(day(delta, phrase))
    } else if (unit === 'week') out.push({ from: today + (sign * 7 - dow) * DAY, to: today + (sign * 7 - dow + 7) * DAY - 1, phrase })
    else if (unit === 'weekend') {
      // The Saturday-Sunday of this week; "last" = the one before it, "next" = the one after.
      const saturday = today + (6 - dow + sign * 7) * DAY
      out.push({ from: saturday, to: saturday + 2 * DAY - 1, phrase })
    } else if (unit === 'month') {
      const d = new Date(today)
      out.push(monthWindow(d.getUTCFullYear(), d.getUTCMonth() + sign, phrase))
    } else {
      const y = new Date(today).getUTCFullYear() + sign
      out.push({ from: Date.UTC(y, 0, 1), to: Date.UTC(y + 1, 0, 1) - 1, phrase })
    }
  }
  for (const m of lower.matchAll(/\b(a|an|one|two|three|four|five|six|seven|eight|nine|ten|few|couple|several|\d+)(?: of)? (day|week|month|year)s? ago\b/g)) {
    const n = numbers[m[1]!] ?? Number(m[1])
    const unitDays = m[2] === 'day' ? 1 : m[2] === 'week' ? 7 : m[2] === 'month' ? 30 : 365
    const center = today - n * unitDays * DAY
    const slack = m[2] === 'day' ? 0 : Math.round(unitDays / 2)
    out.push({ from: center - slack * DAY, to: center + (slack + 1) * DAY - 1, phrase: m[0] })
  }
  for (const m of lower.matchAll(/\b(\d{1,2})?\s*(january|february|march|april|may|june|july|august|september|october|november|december),?\s*(\d{4})?\b/g)) {
    const month = months.indexOf(m[2]!)
    if (m[2] === 'may' && m[1] === undefined && m[3] === undefined) continue // the verb "may"
    const year = m[3] !== undefined ? Number(m[3]) : new Date(today).getUTCFullYear()
    if (m[1] !== undefined) {
      const t = Date.UTC(year, month, Number(m[1]))
      out.push({ from: t, to: t + DAY - 1, phrase: m[0].trim() })
    } else out.push({ ...monthWindow(year, month, m[0].trim()) })
  }
  for (const m of lower.matchAll(/\b(?:in )?((?:19|20)\d{2})\b/g)) {
    if (out.some((w) => w.phrase.includes(m[1]!))) continue
    const y = Number(m[1])
    out.push({ from: Date.UTC(y, 0, 1), to: Date.UTC(y + 1, 0, 1) - 1, phrase: m[1]! })
  }
  return out
}

/** Text appended to a memory so that resolved dates are searchable ("yesterday" -> "7 May 2023"). */
export function dateEnrichment(text: string, messageTime: number): string {
  const parts: string[] = []
  for (const w of resolveTimeExpressions(text, messageTime)) {
    if (/^\d/.test(w.phrase) || /^(january|february|march|april|may|june|july|august|september|october|november|december)/.test(w.phrase)) continue
    parts.push(w.to - w.from <= DAY ? formatDay(w.from) : formatMonth(w.from))
  }
  return parts.join(' ')
}

/** Parses an ISO string or epoch milliseconds; null when absent or invalid. */
export function parseTime(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && value.trim() !== '') {
    const t = Date.parse(value)
    if (Number.isFinite(t)) return t
  }
  return null
}
