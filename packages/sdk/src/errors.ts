/** Typed errors the SDK throws. Every one carries a plain-words message saying what to do. */
import type { CheckId, CheckOutcome, ErrorCode } from '@verity/protocol'

/** The node answered with an error (`{ error: { code, message, details } }`). */
export class NodeRequestError extends Error {
  override name = 'NodeRequestError'
  readonly code: ErrorCode | string
  readonly status: number
  readonly details: Record<string, unknown>
  readonly hint: string | undefined
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}, hint?: string) {
    super(`${message}${hint ? `\nHint: ${hint}` : ''}`)
    this.status = status
    this.code = code
    this.details = details
    this.hint = hint
  }
}

/** The node could not be reached (refused, reset, DNS). */
export class ConnectionError extends Error {
  override name = 'ConnectionError'
  readonly url: string
  constructor(url: string, cause: unknown) {
    super(`Cannot reach the Verity node at ${url}: ${(cause as Error)?.message ?? String(cause)}. Is it running? Start one with \`verity up\`.`, { cause })
    this.url = url
  }
}

export class TimeoutError extends Error {
  override name = 'TimeoutError'
  constructor(url: string, timeoutMs: number) {
    super(`The request to ${url} took longer than ${timeoutMs} ms; raise timeoutMs or try another node.`)
  }
}

/** A result came back but does not verify: its output must not be used. */
export class VerificationError extends Error {
  override name = 'VerificationError'
  /** The first failing check. */
  readonly check: CheckId
  readonly checks: CheckOutcome[]
  constructor(checks: CheckOutcome[]) {
    const failed = checks.find((c) => !c.ok)!
    super(`Verification failed (${failed.check}): ${failed.message}`)
    this.check = failed.check
    this.checks = checks
  }
}
