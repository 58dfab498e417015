import { X509Certificate, createHash } from 'node:crypto'
import { VerityError, bytesToHex, type Hex } from '@verity/protocol'
import { Checks, iso } from './verdicts.ts'

export const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest())
export const sha384 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha384').update(bytes).digest())

/** Accepts bytes, 0x-hex, plain hex or base64; `what` names the field in errors. */
export function toBytes(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (typeof value === 'string') {
    const text = value.trim()
    if (/^0x([0-9a-fA-F]{2})*$/.test(text)) return new Uint8Array(Buffer.from(text.slice(2), 'hex'))
    // Plain hex wins over base64 when both read: binary data in base64 practically always has g-z/+//.
    if (/^([0-9a-fA-F]{2})+$/.test(text)) return new Uint8Array(Buffer.from(text, 'hex'))
    if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text.replace(/\s+/g, ''))) return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'base64'))
  }
  throw new VerityError('ATTESTATION_MALFORMED', `${what} must be bytes, hex or base64, got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value}`, { details: { field: what } })
}

/** Parses a certificate given as PEM, DER bytes, hex or base64 DER. */
export function toCertificate(value: unknown, what: string): X509Certificate {
  try {
    if (typeof value === 'string' && value.includes('-----BEGIN CERTIFICATE-----')) return new X509Certificate(value)
    return new X509Certificate(Buffer.from(toBytes(value, what)))
  } catch (cause) {
    if (cause instanceof VerityError) throw cause
    throw new VerityError('ATTESTATION_MALFORMED', `${what} is not a readable X.509 certificate`, { cause, details: { field: what } })
  }
}

export function fingerprint(cert: X509Certificate): string {
  return Buffer.from(sha256(new Uint8Array(cert.raw))).toString('hex')
}

export { Checks, iso, isAllZero, measurementHashOf, nowMs, result } from './verdicts.ts'

/**
 * Checks a chain leaf → … → root against a pinned root: each link's signature, each certificate's
 * validity window at `now`, and the root's fingerprint. Returns false at the first broken link.
 */
export function checkChain(checks: Checks, chain: X509Certificate[], pinnedRoot: X509Certificate, now: number, label: string): boolean {
  const root = chain.at(-1)!
  const rootOk = fingerprint(root) === fingerprint(pinnedRoot)
  checks.add('root', rootOk, rootOk
    ? `The ${label} chain ends at the pinned root "${cn(pinnedRoot)}" (sha256 ${fingerprint(pinnedRoot).slice(0, 16)}…).`
    : `The ${label} chain ends at "${cn(root)}" (sha256 ${fingerprint(root).slice(0, 16)}…), which is not the pinned root "${cn(pinnedRoot)}".`)
  let linksOk = root.verify(root.publicKey)
  let broken = linksOk ? '' : `the root "${cn(root)}" is not validly self-signed`
  for (let i = 0; linksOk && i < chain.length - 1; i++) {
    if (!chain[i]!.verify(chain[i + 1]!.publicKey)) {
      linksOk = false
      broken = `"${cn(chain[i]!)}" is not signed by "${cn(chain[i + 1]!)}"`
    }
  }
  checks.add('chain', linksOk, linksOk
    ? `Each of the ${chain.length} ${label} certificates is signed by the next one up to the root.`
    : `The ${label} certificate chain is broken: ${broken}.`)
  const expired = chain.filter((c) => now < Date.parse(c.validFrom) || now > Date.parse(c.validTo))
  checks.add('validity', expired.length === 0, expired.length === 0
    ? `Every ${label} certificate is within its validity period at ${iso(now)}.`
    : `At ${iso(now)} ${expired.map((c) => `"${cn(c)}" (valid ${iso(Date.parse(c.validFrom))} to ${iso(Date.parse(c.validTo))})`).join(', ')} ${expired.length === 1 ? 'is' : 'are'} outside the validity period.`)
  return rootOk && linksOk && expired.length === 0
}

export function cn(cert: X509Certificate): string {
  const match = /CN=([^\n,]+)/.exec(cert.subject)
  return match?.[1] ?? cert.subject.replace(/\n/g, ', ')
}

