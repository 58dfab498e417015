/**
 * What the Node verifiers and the browser entry (browser.ts) share: the check list, the clock, the
 * result, the dev provider's whole check, and the Nitro and SEV-SNP checks that follow their
 * signature. Only noble and @verity/protocol here (no Node APIs), so both builds import it; the two
 * differ only in how certificates and signatures are checked (node:crypto vs WebCrypto).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { p256 } from '@noble/curves/nist.js'
import { VerityError, bytesToHex, canonicalJson, concatBytes, hexToBytes, utf8, type Hex } from '@verity/protocol'
import type { NitroDocument } from './nitroDocument.ts'
import type { SnpReport } from './snpReport.ts'
import type { AttestationCheck, AttestationKind, CheckName, DevEvidence, VerifiedAttestation, VerifyOptions, VerifyPolicy } from './types.ts'

/** Collects checks; `ok` is true only when every check passed. */
export class Checks {
  readonly list: AttestationCheck[] = []
  add(check: CheckName, ok: boolean, message: string): boolean {
    this.list.push({ check, ok, message })
    return ok
  }
  get ok(): boolean {
    return this.list.length > 0 && this.list.every((c) => c.ok)
  }
}

export function nowMs(now: Date | number | undefined): number {
  const ms = now instanceof Date ? now.getTime() : now
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new TypeError('options.now expected a Date or unix milliseconds: verification must state the time it checks against')
  }
  return ms
}

export const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z')

export function isAllZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0)
}

export function measurementHashOf(kind: AttestationKind, measurement: Uint8Array): Hex {
  return bytesToHex(sha256(concatBytes(utf8.encode(kind), Uint8Array.of(0), measurement)))
}

type ResultFields = Omit<VerifiedAttestation, 'ok' | 'checks' | 'measurementHash' | 'measurement'> & { measurement: Uint8Array }

/** The verdict: the checks so far, plus the expected-measurement check when the policy lists some. */
export function result(checks: Checks, fields: ResultFields, options: VerifyOptions): VerifiedAttestation {
  const measurement = bytesToHex(fields.measurement)
  const expected = options.policy?.expectedMeasurements
  if (expected !== undefined) {
    const ok = expected.some((m) => m.toLowerCase() === measurement)
    checks.add('measurement', ok, ok ? 'The measurement is one of the expected ones.' : `The measurement ${measurement.slice(0, 18)}… is not in the expected list.`)
  }
  return { ...fields, ok: checks.ok, measurement, measurementHash: measurementHashOf(fields.kind, fields.measurement), checks: checks.list }
}

function freshness(checks: Checks, producedAt: number, now: number, policy: VerifyPolicy, detailed: boolean): void {
  const maxAge = (policy.maxAgeSeconds ?? 600) * 1000
  const age = now - producedAt
  const fresh = age >= -60_000 && age <= maxAge
  checks.add('freshness', fresh, !detailed
    ? fresh
      ? `Produced at ${iso(producedAt)}, ${Math.round(age / 1000)} s before the check.`
      : `Produced at ${iso(producedAt)}: outside the ${maxAge / 1000} s window around ${iso(now)}.`
    : fresh
      ? `Produced at ${iso(producedAt)}, ${Math.round(age / 1000)} s before the check (limit ${maxAge / 1000} s).`
      : age < 0
        ? `Produced at ${iso(producedAt)}, which is in the future relative to ${iso(now)}.`
        : `Produced at ${iso(producedAt)}, ${Math.round(age / 1000)} s before ${iso(now)}: older than the ${maxAge / 1000} s limit.`)
}

/** sha256(utf8(canonicalJson(document without "signature"))): what the dev key signs. */
export function devDigest(body: Omit<DevEvidence, 'signature'>): Uint8Array {
  return sha256(utf8.encode(canonicalJson(body)))
}

/** Verifies a dev document; it always fails the 'insecure-dev' check unless policy.allowInsecureDev. */
export function verifyDev(evidence: DevEvidence, options: VerifyOptions): VerifiedAttestation {
  const now = nowMs(options.now)
  const policy = options.policy ?? {}
  const { signature, ...body } = evidence
  for (const field of ['measurement', 'reportData', 'publicKey', 'signature'] as const) {
    if (typeof evidence[field] !== 'string' || !/^0x([0-9a-f]{2})*$/.test(evidence[field])) {
      throw new VerityError('ATTESTATION_MALFORMED', `dev attestation: ${field} must be lower-case 0x-hex`)
    }
  }
  if (evidence.version !== 1 || evidence.insecure !== true || !Number.isSafeInteger(evidence.timestamp)) {
    throw new VerityError('ATTESTATION_MALFORMED', 'dev attestation: expected version 1, insecure: true and an integer timestamp')
  }
  const checks = new Checks()
  checks.add('insecure-dev', policy.allowInsecureDev === true, policy.allowInsecureDev === true
    ? 'INSECURE: this document comes from the development provider. No hardware vouches for it; accepted only because the policy allows insecure dev attestations.'
    : 'INSECURE: this document comes from the development provider. No hardware vouches for it, so it proves nothing about the code that runs.')
  let ok = false
  try {
    ok = p256.verify(hexToBytes(signature), devDigest(body), hexToBytes(evidence.publicKey), { prehash: false, lowS: true })
  } catch {
    ok = false
  }
  checks.add('signature', ok, ok ? 'The document is signed by the dev key it names.' : 'The document signature does not match its contents.')
  freshness(checks, evidence.timestamp, now, policy, false)
  return result(checks, {
    kind: 'dev', provider: 'dev (INSECURE)', measurement: hexToBytes(evidence.measurement), reportData: hexToBytes(evidence.reportData),
    debug: true, timestamp: evidence.timestamp, claims: { publicKey: evidence.publicKey, insecure: true },
  }, options)
}

/** A Nitro document's checks after its certificate chain: signature (checked by the caller), freshness, debug; then the verdict. */
export function finishNitro(checks: Checks, doc: NitroDocument, signatureOk: boolean, certificateSubject: string, now: number, options: VerifyOptions): VerifiedAttestation {
  const policy = options.policy ?? {}
  checks.add('signature', signatureOk, signatureOk
    ? `The document is signed (ES384) by the enclave certificate "${doc.moduleId}".`
    : 'The document signature does not match its contents and the enclave certificate: it was altered or forged.')
  freshness(checks, doc.timestamp, now, policy, true)
  const pcr = (i: number): Uint8Array => doc.pcrs.get(i) ?? new Uint8Array(48)
  const debug = isAllZero(pcr(0)) && isAllZero(pcr(1)) && isAllZero(pcr(2))
  checks.add('debug', !debug || policy.allowDebug === true, !debug
    ? 'The enclave runs in production mode (PCR0-2 are set).'
    : policy.allowDebug === true
      ? 'The enclave runs in DEBUG mode (PCR0-2 are zero): its memory is readable by the host. Accepted because the policy allows debug.'
      : 'The enclave runs in DEBUG mode (PCR0-2 are zero): its memory is readable by the host, so nothing it signs can be trusted.')
  const pcrs: Record<string, string> = {}
  for (const [k, v] of [...doc.pcrs].sort(([a], [b]) => a - b)) pcrs[String(k)] = bytesToHex(v)
  return result(checks, {
    kind: 'nitro', provider: 'aws-nitro', measurement: pcr(0), reportData: doc.userData ?? new Uint8Array(0), debug, timestamp: doc.timestamp,
    claims: {
      moduleId: doc.moduleId, pcrs, publicKey: doc.publicKey && bytesToHex(doc.publicKey), userData: doc.userData && bytesToHex(doc.userData),
      nonce: doc.nonce && bytesToHex(doc.nonce), certificateSubject,
    },
  }, options)
}

/** An SEV-SNP report's checks after its chain and chip: signature (checked by the caller), debug; then the verdict. */
export function finishSnp(checks: Checks, report: SnpReport, signatureOk: boolean, options: VerifyOptions): VerifiedAttestation {
  const policy = options.policy ?? {}
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
