/**
 * AMD SEV-SNP attestation reports (AMD SEV-SNP ABI spec 56860, Table 22 "ATTESTATION_REPORT"; the
 * VCEK and its extensions: AMD spec 57230 "VCEK certificate and KDS interface").
 *
 *   0x000 version u32 · 0x008 policy u64 (bit 19 DEBUG) · 0x034 signature_algo u32 (1 = ECDSA P-384/SHA-384)
 *   0x038 current_tcb · 0x048 flags (bits 2-4 signing key: 0 VCEK, 1 VLEK) · 0x050 report_data [64]
 *   0x090 measurement [48] · 0x0C0 host_data [32] · 0x0E0 id_key_digest [48] · 0x140 report_id [32]
 *   0x180 reported_tcb u64 · 0x1A0 chip_id [64] · 0x2A0 signature: r [72 LE] s [72 LE]
 *   signed bytes = report[0x000 .. 0x2A0)
 *
 * The chain is ARK (self-signed, pinned per product line: Milan, Genoa) → ASK → VCEK, all RSA-PSS except the VCEK's P-384 key. The
 * VCEK is specific to one chip (hwID extension = CHIP_ID) and one TCB (SPL extensions =
 * REPORTED_TCB), both checked. TCB layout here is Milan/Genoa's: byte 0 boot loader, 1 TEE, 6 SNP,
 * 7 microcode.
 */
import { X509Certificate, verify as verifySignature } from 'node:crypto'
import { VerityError, bytesToHex } from '@verity/protocol'
import { AMD_ARK_GENOA_PEM, AMD_ARK_MILAN_PEM, AMD_ASK_GENOA_PEM, AMD_ASK_MILAN_PEM } from './roots.ts'
import { Checks, checkChain, cn, nowMs, result, toBytes, toCertificate } from './_util.ts'
import type { SnpEvidence, VerifiedAttestation, VerifyOptions } from './types.ts'

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
function amdExtension(der: Uint8Array, suffix: number[]): Uint8Array | null {
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

function splOf(der: Uint8Array, n: number): number | null {
  const v = amdExtension(der, [0x03, n])
  if (v === null || v[0] !== 0x02) return null
  let out = 0
  for (const b of v.subarray(2, 2 + v[1]!)) out = out * 256 + b
  return out
}

/**
 * Verifies an SEV-SNP report with its VCEK up to the pinned AMD root.
 * @throws VerityError ATTESTATION_MALFORMED when the report or a certificate cannot be read.
 */
export function verifySnp(evidence: SnpEvidence, options: VerifyOptions): VerifiedAttestation {
  const now = nowMs(options.now)
  const policy = options.policy ?? {}
  const report = parseSnpReport(toBytes(evidence.report, 'sev-snp report'))
  const vcek = toCertificate(evidence.vcek, 'sev-snp vcek')
  // The VCEK's issuer names the product line ("SEV-Milan", "SEV-Genoa"), which selects the built-in chain.
  const product = /CN=SEV-(\w+)/.exec(vcek.issuer)?.[1] ?? 'Milan'
  const builtin = product === 'Genoa' ? { ask: AMD_ASK_GENOA_PEM, ark: AMD_ARK_GENOA_PEM } : { ask: AMD_ASK_MILAN_PEM, ark: AMD_ARK_MILAN_PEM }
  const ask = toCertificate(evidence.ask ?? builtin.ask, 'sev-snp ask')
  const ark = toCertificate(evidence.ark ?? policy.roots?.amdArk ?? builtin.ark, 'sev-snp ark')
  const pinned = new X509Certificate(policy.roots?.amdArk ?? builtin.ark)
  const checks = new Checks()

  checkChain(checks, [vcek, ask, ark], pinned, now, 'AMD')

  const der = new Uint8Array(vcek.raw)
  const hwid = amdExtension(der, [0x04])
  const chipOk = hwid !== null && Buffer.from(hwid).equals(Buffer.from(report.chipId))
  const tcbOk = splOf(der, 1) === report.reportedTcb.bootLoader && splOf(der, 2) === report.reportedTcb.tee &&
    splOf(der, 3) === report.reportedTcb.snp && splOf(der, 8) === report.reportedTcb.microcode
  checks.add('chip', chipOk && tcbOk, !chipOk
    ? `The VCEK "${cn(vcek)}" belongs to another chip than the one named in the report (CHIP_ID ${bytesToHex(report.chipId).slice(0, 18)}…).`
    : !tcbOk
      ? 'The VCEK was issued for another firmware TCB than the one the report states (REPORTED_TCB).'
      : `The VCEK belongs to this chip and its firmware TCB (boot loader ${report.reportedTcb.bootLoader}, TEE ${report.reportedTcb.tee}, SNP ${report.reportedTcb.snp}, microcode ${report.reportedTcb.microcode}).`)

  let signatureOk = false
  const key = vcek.publicKey
  if (report.signatureAlgo === 1 && key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1') {
    signatureOk = verifySignature('sha384', report.signed, { key, dsaEncoding: 'ieee-p1363' }, Buffer.concat([report.signatureR, report.signatureS]))
  }
  checks.add('signature', signatureOk, signatureOk
    ? 'The report is signed (ECDSA P-384) by the VCEK of the chip that produced it.'
    : report.signatureAlgo !== 1
      ? `The report names signature algorithm ${report.signatureAlgo}; only 1 (ECDSA P-384 with SHA-384) is accepted.`
      : 'The report signature does not match its contents and the VCEK: it was altered or forged.')

  const debug = report.debugAllowed
  checks.add('debug', !debug || policy.allowDebug === true, !debug
    ? 'The guest policy forbids debugging (the host cannot read or change guest memory).'
    : `The guest policy allows DEBUG: the host can read and change guest memory${policy.allowDebug === true ? '. Accepted because the policy allows debug.' : ', so nothing it signs can be trusted.'}`)

  return result(checks, {
    kind: 'sev-snp', provider: 'amd-sev-snp', measurement: report.measurement, reportData: report.reportData, debug, timestamp: null,
    claims: {
      version: report.version, guestSvn: report.guestSvn, policy: `0x${report.policy.toString(16)}`, vmpl: report.vmpl,
      hostData: bytesToHex(report.hostData), idKeyDigest: bytesToHex(report.idKeyDigest), reportId: bytesToHex(report.reportId),
      chipId: bytesToHex(report.chipId), signingKey: report.signingKey,
      reportedTcb: { bootLoader: report.reportedTcb.bootLoader, tee: report.reportedTcb.tee, snp: report.reportedTcb.snp, microcode: report.reportedTcb.microcode },
    },
  }, options)
}
