/** Labelled input checks for the library entry points (the HTTP edge adds JSON schemas on top). */
import { VerityError } from '@verity/protocol'

export const limits = { maxContentChars: 32_000, maxMessages: 500, maxIdChars: 200, maxQueryChars: 4_000, maxLimit: 200 }

export function assertUserId(value: unknown, field = 'user_id'): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) throw new VerityError('BAD_REQUEST', `${field} is required: a non-empty string naming the user`, { details: { field } })
  if (value.length > limits.maxIdChars || /[\u0000-\u001f]/.test(value)) throw new VerityError('BAD_REQUEST', `${field} must be at most ${limits.maxIdChars} printable characters`, { details: { field } })
}

export function assertOptionalId(value: unknown, field: string): asserts value is string | undefined | null {
  if (value === undefined || value === null) return
  if (typeof value !== 'string' || value.length === 0 || value.length > limits.maxIdChars || /[\u0000-\u001f]/.test(value)) {
    throw new VerityError('BAD_REQUEST', `${field} must be a non-empty string of at most ${limits.maxIdChars} printable characters`, { details: { field } })
  }
}
