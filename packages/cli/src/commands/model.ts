import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { formatRelease, parseModelRef, parseRelease, parseRepoName, type ModelCardJson, type RepositoryJson } from '@verity/protocol'
import { createClient, NodeRequestError, type VerityClient } from '@verity/sdk'
import { writeFileAtomic } from '../files.ts'
import { ExitError } from '../errors.ts'
import { color, formatBytes, info as note, out, progress, table } from '../output.ts'

type Common = { node: string; json?: boolean }

export async function create(repo: string, o: Common & { description?: string; descriptionFile?: string; task?: string; license?: string; tags?: string; private?: boolean }): Promise<void> {
  parseRepoName(repo)
  const description = o.descriptionFile ? readFileSync(o.descriptionFile, 'utf8') : o.description
  const created = await createClient({ url: o.node }).createRepository({
    repo, description, task: o.task, license: o.license, tags: splitTags(o.tags), visibility: o.private ? 'private' : 'public',
  })
  if (o.json) out(JSON.stringify(created, null, 2))
  else out(`Created ${color.bold(repo)}. Next: verity model push FILE --repo ${repo} --release 1.00`)
}

export async function release(repo: string, rel: string, o: Common & { publish?: boolean; notes?: string }): Promise<void> {
  parseRepoName(repo)
  const version = formatRelease(parseRelease(rel))
  const client = createClient({ url: o.node })
  let result
  try {
    result = await client.createRelease({ repo, release: version, notes: o.notes })
    if (!o.publish) note(`Created draft release ${repo}@${version}.`)
  } catch (error) {
    if (!(o.publish && error instanceof NodeRequestError && error.code === 'ALREADY_EXISTS')) throw error
  }
  if (o.publish) {
    result = await client.publishRelease({ repo, release: version })
    note(`Published ${repo}@${version}; it can no longer change.`)
  }
  if (o.json) out(JSON.stringify(result, null, 2))
}

/** Picks the release to push into: the given one, else the open draft, else the next minor after the latest. */
async function targetRelease(client: VerityClient, repo: string, wanted: string | undefined): Promise<string> {
  if (wanted) return formatRelease(parseRelease(wanted))
  const card = await client.modelCard(repo)
  const draft = card.releases.find((r) => !r.published)
  if (draft) return draft.release
  const latest = card.releases.map((r) => parseRelease(r.release)).sort((a, b) => b.major - a.major || b.minor - a.minor)[0]
  return latest ? formatRelease({ major: latest.major, minor: latest.minor + 1 }) : '1.00'
}

export async function push(file: string, o: Common & { repo: string; release?: string; path?: string; publish?: boolean }): Promise<void> {
  parseRepoName(o.repo)
  const bytes = readFileSync(file)
  const client = createClient({ url: o.node })
  try {
    await client.modelCard(o.repo)
  } catch (error) {
    if (!(error instanceof NodeRequestError && error.status === 404)) throw error
    await client.createRepository({ repo: o.repo })
    note(`Created repository ${o.repo}.`)
  }
  const rel = await targetRelease(client, o.repo, o.release)
  try {
    await client.createRelease({ repo: o.repo, release: rel })
  } catch (error) {
    if (!(error instanceof NodeRequestError && error.code === 'ALREADY_EXISTS')) throw error
  }
  const bar = progress(`Uploading ${basename(file)}`)
  let uploaded
  try {
    uploaded = await client.pushFile({ repo: o.repo, release: rel, path: o.path ?? basename(file), bytes, onProgress: bar.update })
  } finally {
    bar.stop()
  }
  if (o.publish) await client.publishRelease({ repo: o.repo, release: rel })
  if (o.json) {
    out(JSON.stringify({ cid: uploaded.cid, repo: o.repo, release: rel, path: uploaded.path, size: uploaded.size, published: Boolean(o.publish) }))
    return
  }
  note(`Pushed ${basename(file)} (${formatBytes(uploaded.size)}) to ${o.repo}@${rel}${o.publish ? ' and published it' : ' (draft)'}.`)
  out(uploaded.cid)
}

export async function pull(ref: string, o: { node: string; output?: string }): Promise<void> {
  const client = createClient({ url: o.node })
  const parsed = parseModelRef(ref)
  let cid: string
  if (parsed.kind === 'cid') cid = parsed.cid
  else {
    const card = await client.modelCard(`${parsed.owner}/${parsed.name}`)
    const rel = parsed.release ? card.releases.find((r) => r.release === parsed.release) : card.releases.find((r) => r.published) ?? card.releases[0]
    if (!rel) throw new ExitError(1, `${ref}: no such release. Releases: ${card.releases.map((r) => r.release).join(', ') || 'none'}`)
    const file = rel.files.find((f) => f.path.endsWith('.onnx')) ?? rel.files[0]
    if (!file) throw new ExitError(1, `${ref}: the release has no files yet`)
    cid = file.cid
  }
  const bar = progress(`Downloading ${cid.slice(0, 16)}…`)
  let bytes
  try {
    bytes = await client.pull(cid, { onProgress: bar.update })
  } finally {
    bar.stop()
  }
  const target = o.output ?? `${cid}.onnx`
  writeFileAtomic(target, bytes)
  note(`Saved ${formatBytes(bytes.length)} to ${target}; the bytes match ${cid}.`)
}

function printRepos(items: RepositoryJson[]): void {
  if (items.length === 0) {
    out('No models found.')
    return
  }
  out(table([
    ['MODEL', 'RELEASE', 'TASK', 'TAGS', 'DOWNLOADS'].map(color.dim),
    ...items.map((r) => [`${r.owner}/${r.name}`, r.latestRelease ?? '-', r.task || '-', r.tags.join(',') || '-', String(r.downloads)]),
  ], ''))
}

export async function ls(owner: string | undefined, o: Common & { limit: number }): Promise<void> {
  const page = await createClient({ url: o.node }).search({ owner, limit: o.limit, sort: 'name' })
  if (o.json) out(JSON.stringify(page, null, 2))
  else printRepos(page.items)
}

export async function search(q: string, o: Common & { task?: string; tags?: string; owner?: string; sort?: string; limit: number; cursor?: string }): Promise<void> {
  const page = await createClient({ url: o.node }).search({ q, task: o.task, tags: splitTags(o.tags), owner: o.owner, sort: o.sort, limit: o.limit, cursor: o.cursor })
  if (o.json) {
    out(JSON.stringify(page, null, 2))
    return
  }
  printRepos(page.items)
  if (page.nextCursor) out(color.dim(`\nMore results: --cursor ${page.nextCursor}`))
}

export async function info(repo: string, o: Common): Promise<void> {
  parseRepoName(repo)
  const card: ModelCardJson = await createClient({ url: o.node }).modelCard(repo)
  if (o.json) {
    out(JSON.stringify(card, null, 2))
    return
  }
  out(color.bold(`${card.owner}/${card.name}`) + color.dim(`  ${card.task || 'no task'} · ${card.license} · ${card.visibility} · ${card.downloads} downloads`))
  if (card.tags.length) out(color.dim(`tags: ${card.tags.join(', ')}`))
  out()
  if (card.description) out(card.description.trim().split('\n').map((l) => `  ${l}`).join('\n'))
  for (const rel of card.releases) {
    out()
    out(color.bold(`Release ${rel.release}`) + color.dim(rel.published ? `  published ${rel.publishedAt}` : '  draft'))
    for (const f of rel.files) {
      out(`  ${f.path}  ${formatBytes(f.size)}`)
      out(color.dim(`    cid ${f.cid}`))
      if (f.schema) {
        for (const [kind, specs] of [['in ', f.schema.inputs], ['out', f.schema.outputs]] as const) {
          for (const s of specs) out(`    ${kind} ${s.name}: ${s.dtype ?? 'unsupported type'}[${(s.shape ?? ['?']).map((d) => d ?? '?').join(', ')}]`)
        }
        out(color.dim(`    ${f.schema.parameterCount.toLocaleString('en')} parameters; operators: ${f.schema.operators.join(', ')}`))
      }
    }
  }
}

function splitTags(tags: string | undefined): string[] | undefined {
  return tags ? tags.split(',').map((t) => t.trim()).filter(Boolean) : undefined
}
