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
import { bytesToHex } from '@verity/protocol'
import { amdChainFor, amdExtension, parseSnpReport, splOf } from './snpReport.ts'
import { Checks, checkChain, cn, nowMs, toBytes, toCertificate } from './_util.ts'
import { finishSnp } from './verdicts.ts'
import type { SnpEvidence, VerifiedAttestation, VerifyOptions } from './types.ts'

export { parseSnpReport, SNP_REPORT_SIZE, type SnpReport, type SnpTcb } from './snpReport.ts'

/**
 * Verifies an SEV-SNP report with its VCEK up to the pinned AMD root.
 * @throws VerityError ATTESTATION_MALFORMED when the report or a certificate cannot be read.
 */
export function verifySnp(evidence: SnpEvidence, options: VerifyOptions): VerifiedAttestation {
  const now = nowMs(options.now)
  const policy = options.policy ?? {}
  const report = parseSnpReport(toBytes(evidence.report, 'sev-snp report'))
  const vcek = toCertificate(evidence.vcek, 'sev-snp vcek')
  const chain = amdChainFor(vcek.issuer, evidence, policy)
  const ask = toCertificate(chain.ask, 'sev-snp ask')
  const ark = toCertificate(chain.ark, 'sev-snp ark')
  const pinned = new X509Certificate(chain.pinned)
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
  return finishSnp(checks, report, signatureOk, options)
}
