/**
 * The SEV-SNP attestation report's layout and the AMD certificate extensions the checks read (see
 * snp.ts), kept free of Node APIs so the browser verifier (browser.ts) uses the same code.
 */
import { VerityError } from '@verity/protocol'
import { AMD_ARK_GENOA_PEM, AMD_ARK_MILAN_PEM, AMD_ASK_GENOA_PEM, AMD_ASK_MILAN_PEM } from './roots.ts'

export const SNP_REPORT_SIZE = 0x4a0
const SIGNED_LENGTH = 0x2a0

export type SnpTcb = { bootLoader: number; tee: number; snp: number; microcode: number; raw: bigint }

export type SnpReport = {
  version: number
  guestSvn: number
  policy: bigint
  debugAllowed: boolean
  vmpl: number
  signatureAlgo: number
  currentTcb: SnpTcb
  platformInfo: bigint
  signingKey: 'vcek' | 'vlek' | 'none'
  reportData: Uint8Array
  measurement: Uint8Array
  hostData: Uint8Array
  idKeyDigest: Uint8Array
  reportId: Uint8Array
  reportedTcb: SnpTcb
  chipId: Uint8Array
  signatureR: Uint8Array
  signatureS: Uint8Array
  signed: Uint8Array
}

function tcb(view: DataView, offset: number): SnpTcb {
  return {
    bootLoader: view.getUint8(offset), tee: view.getUint8(offset + 1), snp: view.getUint8(offset + 6), microcode: view.getUint8(offset + 7),
    raw: view.getBigUint64(offset, true),
  }
}

/** Little-endian 72-byte field → 48-byte big-endian scalar (the upper 24 bytes are zero for P-384). */
function scalar(le: Uint8Array): Uint8Array {
  return Uint8Array.from(le.subarray(0, 48)).reverse()
}

/** Parses an SEV-SNP attestation report without verifying it. */
export function parseSnpReport(bytes: Uint8Array): SnpReport {
  if (bytes.length !== SNP_REPORT_SIZE) {
    throw new VerityError('ATTESTATION_MALFORMED', `SEV-SNP report must be ${SNP_REPORT_SIZE} bytes, got ${bytes.length}`, { details: { length: bytes.length } })
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = view.getUint32(0, true)
  if (version < 2 || version > 5) throw new VerityError('ATTESTATION_MALFORMED', `SEV-SNP report version ${version} is not supported (2 to 5 are)`)
  const policy = view.getBigUint64(0x08, true)
  const keySel = (view.getUint32(0x48, true) >> 2) & 0b111
  return {
    version, guestSvn: view.getUint32(0x04, true), policy, debugAllowed: ((policy >> 19n) & 1n) === 1n,
    vmpl: view.getUint32(0x30, true), signatureAlgo: view.getUint32(0x34, true), currentTcb: tcb(view, 0x38),
    platformInfo: view.getBigUint64(0x40, true), signingKey: keySel === 0 ? 'vcek' : keySel === 1 ? 'vlek' : 'none',
    reportData: bytes.slice(0x50, 0x90), measurement: bytes.slice(0x90, 0xc0), hostData: bytes.slice(0xc0, 0xe0),
    idKeyDigest: bytes.slice(0xe0, 0x110), reportId: bytes.slice(0x140, 0x160), reportedTcb: tcb(view, 0x180),
    chipId: bytes.slice(0x1a0, 0x1e0), signatureR: scalar(bytes.subarray(0x2a0, 0x2e8)), signatureS: scalar(bytes.subarray(0x2e8, 0x330)),
    signed: bytes.subarray(0, SIGNED_LENGTH),
  }
}

const AMD_OID_PREFIX = [0x2b, 0x06, 0x01, 0x04, 0x01, 0x9c, 0x78, 0x01] // 1.3.6.1.4.1.3704.1

/** The extnValue contents of the AMD extension 1.3.6.1.4.1.3704.1.<suffix>, or null. */
export function amdExtension(der: Uint8Array, suffix: number[]): Uint8Array | null {
  const oid = [0x06, AMD_OID_PREFIX.length + suffix.length, ...AMD_OID_PREFIX, ...suffix]
  outer: for (let i = 0; i + oid.length < der.length; i++) {
    for (let j = 0; j < oid.length; j++) if (der[i + j] !== oid[j]) continue outer
    let p = i + oid.length
    if (der[p] === 0x01) p += 3 // critical BOOLEAN
    if (der[p] !== 0x04) return null
    let length = der[p + 1]!
    p += 2
    if (length & 0x80) {
      const n = length & 0x7f
      length = 0
      for (let k = 0; k < n; k++) length = (length << 8) | der[p + k]!
      p += n
    }
    return der.subarray(p, p + length)
  }
  return null
}

export function splOf(der: Uint8Array, n: number): number | null {
  const v = amdExtension(der, [0x03, n])
  if (v === null || v[0] !== 0x02) return null
  let out = 0
  for (const b of v.subarray(2, 2 + v[1]!)) out = out * 256 + b
  return out
}

/**
 * The AMD chain to check a VCEK against: the VCEK's issuer names the product line ("SEV-Milan",
 * "SEV-Genoa"), which selects the built-in ASK and ARK; evidence or policy may supply their own.
 * Returned as given (PEM or bytes) for the caller's certificate reader.
 */
export function amdChainFor<C>(vcekIssuer: string, evidence: { ask?: C | undefined; ark?: C | undefined }, policy: { roots?: { amdArk?: string | undefined } | undefined }): { ask: C | string; ark: C | string; pinned: string } {
  const product = /CN=SEV-(\w+)/.exec(vcekIssuer)?.[1] ?? 'Milan'
  const builtin = product === 'Genoa' ? { ask: AMD_ASK_GENOA_PEM, ark: AMD_ARK_GENOA_PEM } : { ask: AMD_ASK_MILAN_PEM, ark: AMD_ARK_MILAN_PEM }
  const pinned = policy.roots?.amdArk ?? builtin.ark
  return { ask: evidence.ask ?? builtin.ask, ark: evidence.ark ?? pinned, pinned }
}
