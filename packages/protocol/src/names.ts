/**
 * Human names: `owner/name` for repositories, `MAJOR.MINOR` releases written with two minor digits
 * (1.00, 1.01, 2.00), and references `owner/name@1.02` or a bare CID.
 */
import { VerityError } from './errors.ts'
import { isCid } from './cid.ts'

const segment = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/

export type RepoName = { owner: string; name: string }
export type Release = { major: number; minor: number }
export type ModelRef = { kind: 'cid'; cid: string } | { kind: 'name'; owner: string; name: string; release: string | null }

export function parseRepoName(text: string): RepoName {
  const parts = typeof text === 'string' ? text.split('/') : []
  if (parts.length !== 2 || !segment.test(parts[0]!) || !segment.test(parts[1]!)) {
    throw new VerityError('INVALID_NAME', `Repository name ${JSON.stringify(text)} must be owner/name, lower-case [a-z0-9._-], 1-64 characters each`, { details: { name: text } })
  }
  return { owner: parts[0]!, name: parts[1]! }
}

export function parseRelease(text: string): Release {
  const m = typeof text === 'string' ? /^(\d{1,6})\.(\d{2})$/.exec(text) : null
  if (!m) throw new VerityError('INVALID_NAME', `Release ${JSON.stringify(text)} must be MAJOR.MINOR with two minor digits, like 1.00 or 2.13`, { details: { release: text } })
  return { major: Number(m[1]), minor: Number(m[2]) }
}

export function formatRelease(release: Release): string {
  return `${release.major}.${String(release.minor).padStart(2, '0')}`
}

/** Parses `CID`, `owner/name` (latest release) or `owner/name@1.02`. */
export function parseModelRef(text: string): ModelRef {
  if (isCid(text)) return { kind: 'cid', cid: text }
  const at = text.indexOf('@')
  const repo = parseRepoName(at === -1 ? text : text.slice(0, at))
  const release = at === -1 ? null : formatRelease(parseRelease(text.slice(at + 1)))
  return { kind: 'name', ...repo, release }
}
