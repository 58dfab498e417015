/**
 * The memory page's checks, run in the reader's browser with the same code the SDK uses
 * (@verity/memory/log: noble hashes and curves, no Node APIs): the operation log's hash chain and
 * signatures, and each memory's content and sources against the last log entry that touched it.
 */
import { contentHash, hashLogEntry, recoverLogSigner, sourcesHash, verifyMemoryLog, ZERO_HASH, type SignedLogEntry } from '@verity/memory/log'
import { sameAddress, type Hex } from '@verity/protocol'
import type { Verdict, VerdictStatus, DisplayCheck, CheckStatus } from './checks.ts'

export type MemoryItemJson = {
  id: string; text: string; categories: string[]; type: string; importance: number; event_time: string; record_time: string
  sources: string[]; extractor: string; agent_id: string | null; thread_id: string | null; reinforced?: number
}
export type MemoryMessageJson = { id: string; role: string; name: string | null; content: string; timestamp: string }
/** GET /v1/memories/export (memories and their source messages) with GET /v1/memories/log (entries and signer). */
export type MemoryView = { userId: string; memories: MemoryItemJson[]; messages: MemoryMessageJson[]; log: SignedLogEntry[]; logNode: string }

export type EntryCheck = { seq: number; status: CheckStatus; message: string }
export type MemoryCheck = { id: string; status: CheckStatus; message: string }

const short = (hex: string) => (hex.length > 20 ? `${hex.slice(0, 10)}…${hex.slice(-6)}` : hex)

/** Each entry on its own (hash recomputed, link to the previous one, signature by the log's node). */
export function checkLogEntries(entries: readonly SignedLogEntry[], nodeAddress: string): EntryCheck[] {
  let prev: Hex = ZERO_HASH
  return entries.map((e, i) => {
    const problems: string[] = []
    if (e.entry?.seq !== i) problems.push(`sequence number ${String(e.entry?.seq)} where ${i} belongs`)
    if (e.entry?.prev !== prev) problems.push(`does not link to the hash of entry ${i - 1}`)
    let recomputed: string | null = null
    try { recomputed = hashLogEntry(e.entry) } catch { recomputed = null }
    if (recomputed !== e.hash) problems.push('its content does not hash to the recorded hash (altered)')
    const signer = typeof e.hash === 'string' ? recoverLogSigner(e.hash as Hex, e.signature) : null
    if (signer === null || !sameAddress(signer, nodeAddress)) problems.push(`not signed by ${short(nodeAddress)}`)
    prev = e.hash
    return problems.length === 0
      ? { seq: i, status: 'pass' as const, message: `hash ${short(e.hash)} recomputed, links to entry ${i - 1 < 0 ? '(start)' : i - 1}, signed by the node` }
      : { seq: i, status: 'fail' as const, message: problems.join('; ') }
  })
}

/** A memory against the last create/update/reinforce entry for it: its text and sources are what the log committed to. */
export function checkMemoryAgainstLog(memory: MemoryItemJson, entries: readonly SignedLogEntry[]): MemoryCheck {
  const last = [...entries].reverse().find((e) => e.entry?.memory_id === memory.id)
  if (!last) return { id: memory.id, status: 'fail', message: 'No log entry records this memory: it was not created through the signed log.' }
  if (last.entry.op === 'delete' || last.entry.op === 'erase') return { id: memory.id, status: 'fail', message: `The log says this memory was ${last.entry.op}d (entry ${last.entry.seq}), yet the node still lists it.` }
  const content = contentHash(memory)
  const sources = sourcesHash(memory.sources)
  if (last.entry.content_hash !== content) return { id: memory.id, status: 'fail', message: `Its text, categories, type or time hash to ${short(content)}, but log entry ${last.entry.seq} committed to ${short(String(last.entry.content_hash))}: the memory changed outside the log.` }
  if (last.entry.sources_hash !== sources) return { id: memory.id, status: 'fail', message: `Its source message ids hash to ${short(sources)}, but log entry ${last.entry.seq} committed to ${short(String(last.entry.sources_hash))}.` }
  return { id: memory.id, status: 'pass', message: `Text and sources match log entry ${last.entry.seq} (${last.entry.op}).` }
}

/** The verdict on a user's memory: the log verifies, it is signed by the node serving the page, and every memory matches it. */
export function verifyMemoryView(view: MemoryView, pageNodeAddress: string | undefined): Verdict & { entries: EntryCheck[]; memories: MemoryCheck[] } {
  const checks: DisplayCheck[] = []
  const chain = verifyMemoryLog(view.log, view.logNode)
  checks.push(chain.ok
    ? { id: 'log-chain', title: 'Operation log', status: 'pass', message: `All ${chain.entries} entries link by hash from the first to the head ${short(chain.head)}, and each is signed by ${short(view.logNode)}.` }
    : { id: 'log-chain', title: 'Operation log', status: 'fail', message: `The log does not verify: ${chain.reason}.` })
  if (pageNodeAddress === undefined) checks.push({ id: 'log-signer', title: 'Log signer', status: 'skip', message: 'The node serving this page did not say its address, so the log signer cannot be compared to it.' })
  else {
    const same = sameAddress(view.logNode, pageNodeAddress)
    checks.push({ id: 'log-signer', title: 'Log signer', status: same ? 'pass' : 'fail', message: same ? 'The log is signed by the node serving this page.' : `The log is signed by ${view.logNode}, not by the node serving this page (${pageNodeAddress}).` })
  }
  const memories = view.memories.map((m) => checkMemoryAgainstLog(m, view.log))
  const bad = memories.filter((m) => m.status === 'fail')
  checks.push(bad.length === 0
    ? { id: 'memories', title: 'Memories match the log', status: 'pass', message: view.memories.length === 0 ? 'There are no memories to compare.' : `Each of the ${view.memories.length} memories hashes to what the log's last entry for it committed to.` }
    : { id: 'memories', title: 'Memories match the log', status: 'fail', message: `${bad.length} of ${view.memories.length} memories differ from the log: ${bad.map((m) => m.id).join(', ')}.` })
  const status: VerdictStatus = checks.some((c) => c.status === 'fail') ? 'failed' : checks.some((c) => c.status === 'skip') ? 'incomplete' : 'verified'
  const failed = checks.filter((c) => c.status === 'fail')
  const headline = status === 'failed'
    ? `Not verified: ${failed.map((c) => c.title.toLowerCase()).join(', ')} failed. Do not rely on this memory's history.`
    : status === 'incomplete' ? 'Partly verified: the log verifies, but its signer could not be compared to this node.'
      : `Verified in your browser: ${view.log.length} signed log entries and ${view.memories.length} memories.`
  return { status, headline, checks, receiptId: null, signer: null, entries: checkLogEntries(view.log, view.logNode), memories }
}
