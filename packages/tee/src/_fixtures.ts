/** Loads the real attestation fixtures under packages/tee/fixtures (see its README for provenance). */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { DcapCollateral } from './types.ts'
import { encodeNitroDocument, nitroPayloadMap, parseNitroDocument } from './nitroDocument.ts'

const dir = fileURLToPath(new URL('../fixtures/', import.meta.url))
const text = (path: string): string => readFileSync(dir + path, 'utf8').trim()

export const fixtures = {
  nitro: () => new Uint8Array(Buffer.from(text('nitro/nitrite-2024-09-07.b64'), 'base64')),
  /** Produced at 2024-09-07T14:37:39.545Z; its leaf certificate is valid until 17:37:39 that day. */
  nitroTime: Date.parse('2024-09-07T14:37:39.545Z'),
  nitroDebug: () => new Uint8Array(Buffer.from(text('nitro/nitrite-debug-2024-09-07.b64'), 'base64')),
  nitroDebugTime: Date.parse('2024-09-07T14:38:06.508Z'),
  snpReport: () => new Uint8Array(Buffer.from(text('sev-snp/milan-report.hex'), 'hex')),
  snpVcek: () => new Uint8Array(Buffer.from(text('sev-snp/milan-vcek.der.b64'), 'base64')),
  /** The VCEK is valid 2023-04-03 to 2030-04-03. */
  snpTime: Date.parse('2024-06-01T00:00:00Z'),
  tdxQuote: () => new Uint8Array(Buffer.from(text('tdx/tdx-quote.hex').slice(2), 'hex')),
  tdxCollateral: (): DcapCollateral => JSON.parse(text('tdx/tdx-quote-collateral.json')) as DcapCollateral,
  /** Inside the collateral's validity (TCB info 2025-03-13 to 2025-04-12). */
  tdxTime: Date.parse('2025-03-20T00:00:00Z'),
}

/** The real Nitro document with its payload changed by `edit`, re-encoded: its signature no longer covers it. */
export function tamperedNitro(edit: (payload: Map<string, unknown>) => void): Uint8Array {
  const doc = parseNitroDocument(fixtures.nitro())
  const payload = nitroPayloadMap(doc)
  edit(payload)
  return encodeNitroDocument(doc, payload)
}

/** A payload edit: the first byte of PCR0 flipped (another enclave image). */
export function flipPcr0(payload: Map<string, unknown>): void {
  const pcrs = payload.get('pcrs') as Map<number, Uint8Array>
  const pcr0 = new Uint8Array(pcrs.get(0)!)
  pcr0[0]! ^= 0xff
  pcrs.set(0, pcr0)
}
