/**
 * Small byte helpers shared by the encoders. Hex is always lower-case with a 0x prefix. No Node-only
 * APIs (Buffer): protocol also runs in browsers, where the explorer verifies receipts.
 */
import { bytesToHex as nobleBytesToHex, hexToBytes as nobleHexToBytes } from '@noble/hashes/utils.js'

export type Hex = `0x${string}`

export function bytesToHex(bytes: Uint8Array): Hex {
  return `0x${nobleBytesToHex(bytes)}`
}

export function hexToBytes(hex: string, label = 'hex'): Uint8Array {
  if (typeof hex !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(hex)) {
    throw new TypeError(`${label} expected 0x-prefixed even-length hex, got ${JSON.stringify(hex)?.slice(0, 80)}`)
  }
  return nobleHexToBytes(hex.slice(2))
}

export function isBytes32(value: unknown): value is Hex {
  return typeof value === 'string' && /^0x[0-9a-f]{64}$/.test(value)
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

export const utf8 = {
  encode: (text: string): Uint8Array => new TextEncoder().encode(text),
  decode: (bytes: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(bytes),
}
