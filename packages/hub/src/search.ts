/**
 * Repository search. Text is split into words (letters and digits); every word must match a word of
 * the repository's owner, name, task, tags or description as a prefix (`det` finds `detector`), via
 * the GIN-indexed tsvector. Relevance is ts_rank (owner/name weigh most) over the RELEVANCE_POOL
 * most-downloaded matches and most-downloaded owner/name matches; the other sorts see every match. Paging is keyset
 * (the cursor carries the last row's sort key), so page 1,000 costs what page 1 does.
 */
import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder } from '@verity/db'
import { VerityError } from '@verity/protocol'
import type { HubTables } from './schema.ts'
import type { SearchHit, SearchParameters, SearchReturnType, SearchSort } from './types.ts'
import * as v from './validate.ts'

/** How many matches relevance ranking considers (see below). */
export const RELEVANCE_POOL = 200

const sorts: readonly SearchSort[] = ['relevance', 'name', 'updated', 'downloads']
type CursorKey = [number, number] | [string, string] | [string, number]
type Cursor = { s: SearchSort; k: CursorKey }

function bad(message: string, details: Record<string, unknown>): VerityError {
  return new VerityError('BAD_REQUEST', message, { details })
}

/** The words of a text query, as the document side splits them. */
export function searchWords(text: string): string[] {
  return [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])].slice(0, 16)
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url')
}

function decodeCursor(text: string, sort: SearchSort): Cursor {
  let cursor: Cursor
  try {
    cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor
  } catch {
    throw bad('The search cursor is not one this hub issued', { cursor: text })
  }
  const k = cursor?.k
  if (cursor?.s !== sort || !Array.isArray(k) || k.length !== 2 || !k.every((x) => typeof x === 'string' || typeof x === 'number')) {
    throw bad(`The search cursor does not belong to a search sorted by ${sort}; pass the same parameters as for the first page`, { cursor: text, sort })
  }
  return cursor
}

export async function search(db: Kysely<HubTables>, p: SearchParameters): Promise<SearchReturnType> {
  const limit = p.limit ?? 20
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw bad(`limit must be an integer from 1 to 100, got ${p.limit}`, { limit: p.limit })
  if (p.text !== undefined && (typeof p.text !== 'string' || p.text.length > 256)) throw bad('text must be a string of at most 256 characters', { text: p.text })
  const words = searchWords(p.text ?? '')
  const sort = p.sort ?? (words.length > 0 ? 'relevance' : 'updated')
  if (!sorts.includes(sort)) throw bad(`sort must be one of ${sorts.join(', ')}, got ${JSON.stringify(sort)}`, { sort })
  // Without words there is nothing to rank by.
  const effectiveSort: SearchSort = sort === 'relevance' && words.length === 0 ? 'updated' : sort
  if (p.cursor !== undefined && p.offset !== undefined) throw bad('Pass either cursor or offset, not both', { cursor: p.cursor, offset: p.offset })
  const offset = p.offset ?? 0
  if (!Number.isInteger(offset) || offset < 0 || offset > 1_000_000) throw bad(`offset must be an integer from 0 to 1000000, got ${p.offset}`, { offset: p.offset })
  const cursor = p.cursor === undefined ? null : decodeCursor(p.cursor, effectiveSort)

  const tsquery = words.length > 0 ? sql`to_tsquery('simple', ${words.map((w) => `${w}:*`).join(' & ')})` : null
  const rank: RawBuilder<number> = tsquery ? sql<number>`ts_rank(r.search, ${tsquery})` : sql<number>`null::real`
  if (p.owner !== undefined && (typeof p.owner !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(p.owner))) {
    throw bad(`owner ${JSON.stringify(p.owner)} is not a valid owner name`, { owner: p.owner })
  }
  const task = p.task === undefined ? undefined : v.task(p.task)!
  const tags = p.tags === undefined || p.tags.length === 0 ? undefined : v.tags(p.tags)

  /** The filters every query shares, on table alias `a`. */
  function filtered<QB extends SelectQueryBuilder<any, any, any>>(qb: QB, a: 'r' | 'c', query: RawBuilder<unknown> | null): QB {
    let out = qb
    const col = (name: string) => sql.ref(`${a}.${name}`)
    if (query) out = out.where(sql<boolean>`${col('search')} @@ ${query}`) as QB
    if (task !== undefined) out = out.where(sql<boolean>`${col('task')} = ${task}`) as QB
    if (tags !== undefined) out = out.where(sql<boolean>`${col('tags')} @> ${tags}::text[]`) as QB
    if (p.owner !== undefined) out = out.where(sql<boolean>`${col('owner')} = ${p.owner}`) as QB
    if (!p.includePrivate) out = out.where(sql<boolean>`${col('visibility')} = 'public'`) as QB
    return out
  }

  let q = filtered(db.selectFrom('hub_repositories as r')
    .select(['r.id', 'r.owner', 'r.name', 'r.description', 'r.task', 'r.license', 'r.tags', 'r.visibility', 'r.downloads', 'r.created_at', 'r.updated_at'])
    .select(rank.as('score'))
    .select(sql<string>`r.updated_at::text`.as('updated_key')), 'r', tsquery)
  if (effectiveSort === 'relevance' && tsquery) {
    // Ranking every match costs a read of each one (95% of 100k rows for a word like "model"). Rank a
    // bounded pool instead: the most-downloaded matches, plus the most-downloaded whose owner/name
    // match, both read through the downloads index, so a broad query stays as fast as a narrow one.
    const pool = (column: 'search' | 'name_search') =>
      filtered(db.selectFrom('hub_repositories as c').select('c.id'), 'c', null)
        .where(sql<boolean>`${sql.ref(`c.${column}`)} @@ ${tsquery}`)
        .orderBy('c.downloads', 'desc').orderBy('c.id', 'desc').limit(RELEVANCE_POOL)
    q = q.where(sql<boolean>`r.id in ((${pool('name_search')}) union (${pool('search')}))`)
  }

  switch (effectiveSort) {
    case 'relevance':
      if (cursor) q = q.where(sql<boolean>`(${rank}, r.id) < (${Number(cursor.k[0])}::real, ${Number(cursor.k[1])}::bigint)`)
      q = q.orderBy(sql`score`, 'desc').orderBy('r.id', 'desc')
      break
    case 'name':
      if (cursor) q = q.where(sql<boolean>`(r.owner, r.name) > (${String(cursor.k[0])}, ${String(cursor.k[1])})`)
      q = q.orderBy('r.owner').orderBy('r.name')
      break
    case 'updated':
      if (cursor) q = q.where(sql<boolean>`(r.updated_at, r.id) < (${String(cursor.k[0])}::timestamptz, ${Number(cursor.k[1])}::bigint)`)
      q = q.orderBy('r.updated_at', 'desc').orderBy('r.id', 'desc')
      break
    case 'downloads':
      if (cursor) q = q.where(sql<boolean>`(r.downloads, r.id) < (${Number(cursor.k[0])}::bigint, ${Number(cursor.k[1])}::bigint)`)
      q = q.orderBy('r.downloads', 'desc').orderBy('r.id', 'desc')
      break
  }
  const rows = await q.limit(limit + 1).offset(offset).execute()
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  let nextCursor: string | null = null
  if (rows.length > limit && last) {
    const k: CursorKey = effectiveSort === 'relevance' ? [last.score ?? 0, last.id]
      : effectiveSort === 'name' ? [last.owner, last.name]
        : effectiveSort === 'updated' ? [last.updated_key, last.id]
          : [last.downloads, last.id]
    nextCursor = encodeCursor({ s: effectiveSort, k })
  }

  const latest = new Map<number, string>()
  if (page.length > 0) {
    const releases = await db.selectFrom('hub_releases').select(['repository_id', 'version'])
      .distinctOn('repository_id')
      .where('repository_id', 'in', page.map((r) => r.id)).where('published_at', 'is not', null)
      .orderBy('repository_id').orderBy('major', 'desc').orderBy('minor', 'desc').execute()
    for (const r of releases) latest.set(r.repository_id, r.version)
  }
  const items: SearchHit[] = page.map((row) => ({
    repo: `${row.owner}/${row.name}`, owner: row.owner, name: row.name, description: row.description, task: row.task, license: row.license,
    tags: row.tags, visibility: row.visibility, downloads: row.downloads,
    createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
    latestRelease: latest.get(row.id) ?? null, score: tsquery ? row.score : null,
  }))
  return { items, nextCursor }
}
