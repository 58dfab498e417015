import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createMemoryClient, type MemoryJson, type MemoryMessage } from '@verity/sdk'
import { readJsonFile } from '../files.ts'
import { ExitError } from '../errors.ts'
import { color, out, table } from '../output.ts'

export type MemoryCommon = { node: string; apiKey?: string; dataDir: string; user?: string; json?: boolean }

/** The key: --api-key / VERITY_API_KEY, else the admin key `verity up` wrote into the data dir. */
function client(o: MemoryCommon) {
  let apiKey = o.apiKey
  if (!apiKey) {
    const file = join(o.dataDir, 'admin.key')
    if (!existsSync(file)) throw new ExitError(1, `No API key: pass --api-key KEY (or VERITY_API_KEY), or run where \`verity up\` wrote ${file}.`)
    apiKey = readFileSync(file, 'utf8').trim()
  }
  return createMemoryClient({ url: o.node, apiKey })
}

const print = (o: { json?: boolean }, value: unknown, human: () => void) => (o.json ? out(JSON.stringify(value, null, 2)) : human())

function printMemories(memories: MemoryJson[]): void {
  if (memories.length === 0) {
    out('No memories.')
    return
  }
  for (const m of memories) {
    out(`${color.bold(m.id)}${m.score !== undefined ? color.dim(`  score ${m.score.toFixed(3)}`) : ''}  ${color.dim(`${m.type} · ${m.categories.join(', ') || 'uncategorised'} · ${m.extractor}`)}`)
    out(`  ${m.text.replace(/\n/g, '\n  ')}`)
    out(color.dim(`  sources: ${m.sources.join(', ') || '-'}  ·  event ${m.event_time}`))
  }
}

export async function add(o: MemoryCommon & { message?: string[]; role: string; file?: string; thread?: string; agent?: string; wait?: boolean }): Promise<void> {
  const messages: MemoryMessage[] = o.file
    ? (readJsonFile(o.file) as MemoryMessage[])
    : (o.message ?? []).map((content) => ({ role: o.role, content }))
  if (!Array.isArray(messages) || messages.length === 0) throw new ExitError(1, 'Give messages with --message TEXT (repeatable) or --file messages.json (an array of {id?, role, content, timestamp?}).')
  const result = await client(o).add({ messages, user_id: o.user, thread_id: o.thread, agent_id: o.agent }, { wait: o.wait })
  print(o, result, () => out(`Stored ${messages.length} message${messages.length === 1 ? '' : 's'}${o.wait ? '; extraction finished' : '; extraction runs in the background'}.`))
}

export async function search(query: string, o: MemoryCommon & { limit: number; categories?: string; profile?: boolean }): Promise<void> {
  const result = await client(o).search({ query, user_id: o.user, limit: o.limit, categories: o.categories?.split(','), include_profile: o.profile })
  print(o, result, () => printMemories(result.memories))
}

export async function list(o: MemoryCommon & { limit: number; cursor?: string }): Promise<void> {
  const result = await client(o).list({ user_id: o.user, limit: o.limit, cursor: o.cursor })
  print(o, result, () => {
    printMemories(result.memories)
    if (result.next_cursor) out(color.dim(`\nMore: --cursor ${result.next_cursor}`))
  })
}

export async function get(id: string, o: MemoryCommon): Promise<void> {
  const m = await client(o).get(id, o.user)
  print(o, m, () => printMemories([m]))
}

export async function remove(id: string, o: MemoryCommon): Promise<void> {
  const r = await client(o).delete(id, o.user)
  print(o, r, () => out(`Deleted ${id}.`))
}

export async function exportAll(o: MemoryCommon): Promise<void> {
  out(JSON.stringify(await client(o).export(o.user), null, 2))
}

export async function eraseUser(user: string, o: MemoryCommon): Promise<void> {
  const r = await client(o).eraseUser(user)
  print(o, r, () => out(`Erased every memory, message and index entry of ${user}; the signed log keeps a tombstone.`))
}

export async function profile(o: MemoryCommon): Promise<void> {
  const p = await client(o).profile(o.user)
  print(o, p, () => out(JSON.stringify(p, null, 2)))
}

export async function log(o: MemoryCommon): Promise<void> {
  const l = await client(o).log(o.user)
  print(o, l, () => {
    out(table(l.entries.map((e) => [String(e.entry.seq), String(e.entry.op), e.hash.slice(0, 18) + '…'])))
    out()
    out(l.verification.ok
      ? color.green(`✔ The log verifies end to end: ${l.verification.entries} entries, each hash-chained to the one before and signed by node ${l.node}.`)
      : color.red(`✘ The log does not verify at entry ${l.verification.seq}: ${l.verification.reason}`))
  })
  if (!l.verification.ok) throw new ExitError(1)
}

export async function keyCreate(o: MemoryCommon & { scopes: string; rateLimit?: number }): Promise<void> {
  if (!o.user) throw new ExitError(1, 'Pass --user USER: the key acts on that user only.')
  const r = await client(o).createKey({ user_id: o.user, scopes: o.scopes.split(',').map((s) => s.trim()), rate_limit: o.rateLimit })
  print(o, r, () => {
    out(r.key)
    out(color.dim(`A key for ${o.user} with scopes ${o.scopes}. It is shown once; store it now.`))
  })
}
