/** Checks and normalises every field a caller can send the hub; each failure names the field and value. */
import { formatRelease, parseRelease, parseRepoName, VerityError } from '@verity/protocol'
import type { Visibility } from './schema.ts'

export const limits = {
  descriptionChars: 65_536,
  notesChars: 65_536,
  tags: 32,
  pathChars: 255,
} as const

function bad(field: string, value: unknown, message: string): VerityError {
  return new VerityError('BAD_REQUEST', message, { details: { field, value }, hint: `Fix the field "${field}" and retry.` })
}

export function repoName(repo: string): { owner: string; name: string; repo: string } {
  const { owner, name } = parseRepoName(repo)
  return { owner, name, repo: `${owner}/${name}` }
}

export function versionOf(version: string): { version: string; major: number; minor: number } {
  const release = parseRelease(version)
  return { version: formatRelease(release), ...release }
}

export function description(value: unknown, field = 'description', max: number = limits.descriptionChars): string {
  if (typeof value !== 'string') throw bad(field, value, `${field} must be a string (markdown)`)
  if (value.length > max) throw bad(field, value.length, `${field} is ${value.length} characters; the limit is ${max}`)
  return value
}

export function task(value: unknown): string | null {
  if (value === null) return null
  if (typeof value !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(value)) {
    throw bad('task', value, `task ${JSON.stringify(value)} must be lower-case [a-z0-9-], like image-classification`)
  }
  return value
}

export function license(value: unknown): string | null {
  if (value === null) return null
  if (typeof value !== 'string' || !/^[\x21-\x7e]([\x20-\x7e]{0,98}[\x21-\x7e])?$/.test(value)) {
    throw bad('license', value, `license ${JSON.stringify(value)} must be an SPDX identifier or expression (printable ASCII, at most 100 characters), like Apache-2.0`)
  }
  return value
}

export function tags(value: unknown): string[] {
  if (!Array.isArray(value)) throw bad('tags', value, 'tags must be an array of strings')
  const out: string[] = []
  for (const tag of value) {
    const t = typeof tag === 'string' ? tag.trim().toLowerCase() : tag
    if (typeof t !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,31}$/.test(t)) {
      throw bad('tags', tag, `tag ${JSON.stringify(tag)} must be 1-32 characters of [a-z0-9._-]`)
    }
    if (!out.includes(t)) out.push(t)
  }
  if (out.length > limits.tags) throw bad('tags', out.length, `${out.length} tags; at most ${limits.tags} are allowed`)
  return out
}

export function visibility(value: unknown): Visibility {
  if (value !== 'public' && value !== 'private') throw bad('visibility', value, `visibility ${JSON.stringify(value)} must be "public" or "private"`)
  return value
}

export function filePath(value: unknown): string {
  const segment = /^[A-Za-z0-9._-]{1,128}$/
  if (
    typeof value !== 'string' || value.length === 0 || value.length > limits.pathChars ||
    value.split('/').some((s) => !segment.test(s) || s === '.' || s === '..')
  ) {
    throw bad('path', value, `file path ${JSON.stringify(value)} must be relative, at most ${limits.pathChars} characters, segments of [A-Za-z0-9._-] separated by /, without . or .. segments`)
  }
  return value
}

const mediaTypes: Record<string, string> = {
  onnx: 'application/onnx', json: 'application/json', md: 'text/markdown', txt: 'text/plain', csv: 'text/csv',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', wasm: 'application/wasm', zkey: 'application/octet-stream',
}

export function mediaType(value: unknown, path: string): string {
  if (value === undefined) return mediaTypes[path.split('.').pop()!.toLowerCase()] ?? 'application/octet-stream'
  if (typeof value !== 'string' || value.length > 127 || !/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i.test(value)) {
    throw bad('mediaType', value, `media type ${JSON.stringify(value)} must look like type/subtype, e.g. application/onnx`)
  }
  return value.toLowerCase()
}

export function isOnnxPath(path: string): boolean {
  return path.toLowerCase().endsWith('.onnx')
}
