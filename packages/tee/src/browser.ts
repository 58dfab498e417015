/**
 * @verity/tee/browser — attestation checks for web pages (the explorer), with no Node APIs: X.509 by
 * a small DER reader (x509.ts) and WebCrypto, hashes and the dev key by noble, the Nitro document
 * parsed by the same code as the Node verifier (nitroDocument.ts). Checks, their names and their
 * messages are those of the synchronous Node API (verifyAttestation, checkBinding, teeModeVerifier),
 * which stays the reference; browser.test.ts runs both on the real fixtures.
 *
 * In the browser: AWS Nitro, AMD SEV-SNP and the INSECURE dev provider. Intel TDX/SGX evidence (whose
 * collateral checks live in @phala/dcap-qvl, on node:crypto) is reported as not checked here (use the
 * SDK or `verity verify`).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { VerityError, bytesToHex, canonicalJson, concatBytes, hexToBytes, isAddress, utf8, type CheckOutcome, type Hex, type InferenceResult } from '@verity/protocol'
import { cbor, parseNitroDocument } from './nitroDocument.ts'
import { AWS_NITRO_ROOT_G1_PEM } from './roots.ts'
import { amdChainFor, amdExtension, parseSnpReport, splOf } from './snpReport.ts'
import { Checks, finishNitro, finishSnp, iso, measurementHashOf, nowMs, verifyDev } from './verdicts.ts'
import { commonName, isSignedBy, parseCertificate, pemToDer, verifyWithKey, type Certificate } from './x509.ts'
import type { AttestationCheck, AttestationEvidence, AttestationKind, NitroEvidence, SnpEvidence, VerifiedAttestation, VerifyOptions } from './types.ts'

export { attestationKinds, type AttestationEvidence, type AttestationKind, type VerifiedAttestation, type VerifyOptions, type VerifyPolicy, type AttestationCheck } from './types.ts'
export { parseCertificate, type Certificate } from './x509.ts'
export { measurementHashOf } from './verdicts.ts'

// binding.ts's BINDING_DOMAIN (binding.ts hashes with node:crypto, so it is not imported here; browser.test.ts checks they agree).
const BINDING_DOMAIN = 'verity-tee-v1'

/** The evidence kinds this entry verifies. */
export const browserAttestationKinds = ['nitro', 'sev-snp', 'dev'] as const satisfies readonly AttestationKind[]


const hex = (b: Uint8Array) => bytesToHex(b).slice(2)
const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])


/** Accepts bytes, 0x-hex, plain hex or base64 (as the Node API does). */
export function toBytes(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (typeof value === 'string') {
    const text = value.trim()
    if (/^0x([0-9a-fA-F]{2})*$/.test(text)) return hexToBytes(text as Hex)
    if (/^([0-9a-fA-F]{2})+$/.test(text)) return hexToBytes(`0x${text}`)
    const b64 = text.replace(/\s+/g, '')
    if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) return Uint8Array.from(atob(b64.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
  }
  throw new VerityError('ATTESTATION_MALFORMED', `${what} must be bytes, hex or base64, got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value}`, { details: { field: what } })
}



const fingerprint = (c: Certificate) => hex(sha256(c.raw))

/** The chain leaf → … → root against a pinned root (as the Node verifier's checkChain). */
async function checkChain(checks: Checks, chain: Certificate[], pinnedRoot: Certificate, now: number, label: string): Promise<boolean> {
  const root = chain.at(-1)!
  const rootOk = fingerprint(root) === fingerprint(pinnedRoot)
  checks.add('root', rootOk, rootOk
    ? `The ${label} chain ends at the pinned root "${commonName(pinnedRoot)}" (sha256 ${fingerprint(pinnedRoot).slice(0, 16)}…).`
    : `The ${label} chain ends at "${commonName(root)}" (sha256 ${fingerprint(root).slice(0, 16)}…), which is not the pinned root "${commonName(pinnedRoot)}".`)
  let linksOk = await isSignedBy(root, root)
  let broken = linksOk ? '' : `the root "${commonName(root)}" is not validly self-signed`
  for (let i = 0; linksOk && i < chain.length - 1; i++) {
    if (!(await isSignedBy(chain[i]!, chain[i + 1]!))) {
      linksOk = false
      broken = `"${commonName(chain[i]!)}" is not signed by "${commonName(chain[i + 1]!)}"`
    }
  }
  checks.add('chain', linksOk, linksOk
    ? `Each of the ${chain.length} ${label} certificates is signed by the next one up to the root.`
    : `The ${label} certificate chain is broken: ${broken}.`)
  const expired = chain.filter((c) => now < c.notBefore || now > c.notAfter)
  checks.add('validity', expired.length === 0, expired.length === 0
    ? `Every ${label} certificate is within its validity period at ${iso(now)}.`
    : `At ${iso(now)} ${expired.map((c) => `"${commonName(c)}" (valid ${iso(c.notBefore)} to ${iso(c.notAfter)})`).join(', ')} ${expired.length === 1 ? 'is' : 'are'} outside the validity period.`)
  return rootOk && linksOk && expired.length === 0
}


export async function verifyNitroInBrowser(evidence: NitroEvidence | Uint8Array | string, options: VerifyOptions): Promise<VerifiedAttestation> {
  const now = nowMs(options.now)
  const policy = options.policy ?? {}
  const raw = evidence instanceof Uint8Array || typeof evidence === 'string' ? evidence : evidence.document
  const doc = parseNitroDocument(toBytes(raw, 'nitro document'))
  const checks = new Checks()
  const pinned = parseCertificate(pemToDer(policy.roots?.nitro ?? AWS_NITRO_ROOT_G1_PEM))
  let leaf: Certificate
  let bundle: Certificate[]
  try {
    leaf = parseCertificate(doc.certificate)
    bundle = doc.cabundle.map((c) => parseCertificate(c))
  } catch (cause) {
    throw new VerityError('ATTESTATION_MALFORMED', 'Nitro attestation document: certificate or cabundle holds an unreadable certificate', { cause })
  }
  await checkChain(checks, [leaf, ...[...bundle].reverse()], pinned, now, 'AWS Nitro')
  const sigStructure = cbor.encode(['Signature1', doc.protectedHeader, new Uint8Array(0), doc.payload])
  const signatureOk = leaf.key.kind === 'ec' && leaf.key.curve === 'P-384' && doc.signature.length === 96 &&
    (await verifyWithKey(leaf, { kind: 'ecdsa', hash: 'SHA-384' }, sigStructure, doc.signature, true))
  return finishNitro(checks, doc, signatureOk, leaf.subject, now, options)
}

/** A certificate given as PEM, DER bytes, hex or base64 DER. */
function toCertificate(value: unknown, what: string): Certificate {
  try {
    return parseCertificate(typeof value === 'string' && value.includes('-----BEGIN CERTIFICATE-----') ? pemToDer(value) : toBytes(value, what))
  } catch (cause) {
    if (cause instanceof VerityError) throw cause
    throw new VerityError('ATTESTATION_MALFORMED', `${what} is not a readable X.509 certificate`, { cause, details: { field: what } })
  }
}

export async function verifySnpInBrowser(evidence: SnpEvidence, options: VerifyOptions): Promise<VerifiedAttestation> {
  const now = nowMs(options.now)
  const policy = options.policy ?? {}
  const report = parseSnpReport(toBytes(evidence.report, 'sev-snp report'))
  const vcek = toCertificate(evidence.vcek, 'sev-snp vcek')
  const chain = amdChainFor(vcek.issuer, evidence, policy)
  const ask = toCertificate(chain.ask, 'sev-snp ask')
  const ark = toCertificate(chain.ark, 'sev-snp ark')
  const pinned = toCertificate(chain.pinned, 'pinned AMD root')
  const checks = new Checks()
  await checkChain(checks, [vcek, ask, ark], pinned, now, 'AMD')

  const hwid = amdExtension(vcek.raw, [0x04])
  const chipOk = hwid !== null && equalBytes(hwid, report.chipId)
  const tcbOk = splOf(vcek.raw, 1) === report.reportedTcb.bootLoader && splOf(vcek.raw, 2) === report.reportedTcb.tee &&
    splOf(vcek.raw, 3) === report.reportedTcb.snp && splOf(vcek.raw, 8) === report.reportedTcb.microcode
  checks.add('chip', chipOk && tcbOk, !chipOk
    ? `The VCEK "${commonName(vcek)}" belongs to another chip than the one named in the report (CHIP_ID ${bytesToHex(report.chipId).slice(0, 18)}…).`
    : !tcbOk
      ? 'The VCEK was issued for another firmware TCB than the one the report states (REPORTED_TCB).'
      : `The VCEK belongs to this chip and its firmware TCB (boot loader ${report.reportedTcb.bootLoader}, TEE ${report.reportedTcb.tee}, SNP ${report.reportedTcb.snp}, microcode ${report.reportedTcb.microcode}).`)

  const signatureOk = report.signatureAlgo === 1 && vcek.key.kind === 'ec' && vcek.key.curve === 'P-384' &&
    (await verifyWithKey(vcek, { kind: 'ecdsa', hash: 'SHA-384' }, report.signed, concatBytes(report.signatureR, report.signatureS), true))
  return finishSnp(checks, report, signatureOk, options)
}

/** The dev provider's check: the same code as the Node API's verifyDev (verdicts.ts). */
export const verifyDevInBrowser = verifyDev

/** verifyAttestation for the browser: Nitro, SEV-SNP and dev evidence; TDX/SGX throw ATTESTATION_MALFORMED naming the SDK and CLI. */
export async function verifyAttestationInBrowser(evidence: AttestationEvidence | Uint8Array | string, options: VerifyOptions): Promise<VerifiedAttestation> {
  let result: VerifiedAttestation
  if (evidence instanceof Uint8Array || typeof evidence === 'string') result = await verifyNitroInBrowser(evidence, options)
  else if (evidence?.kind === 'nitro') result = await verifyNitroInBrowser(evidence, options)
  else if (evidence?.kind === 'dev') result = verifyDevInBrowser(evidence, options)
  else if (evidence?.kind === 'sev-snp') result = await verifySnpInBrowser(evidence, options)
  else throw new VerityError('ATTESTATION_MALFORMED', `${String((evidence as { kind?: unknown } | null)?.kind)} attestations are not verified in the browser; check them with the SDK or \`verity verify\``, { details: { kind: (evidence as { kind?: unknown } | null)?.kind } })
  if (options.kind === undefined || options.kind === result.kind) return result
  return { ...result, ok: false, checks: [...result.checks, { check: 'kind', ok: false, message: `Expected a ${options.kind} attestation, got ${result.kind}.` }] }
}

const pemOrHex = (v: string | Uint8Array | undefined, what: string): Hex | undefined =>
  v === undefined ? undefined : typeof v === 'string' && v.includes('-----BEGIN') ? bytesToHex(pemToDer(v)) : bytesToHex(toBytes(v, what))

/** attestationDigest (the receipt's proofHash for TEE results): sha256(utf8(canonicalJson(normalized evidence))). */
export function attestationDigest(evidence: AttestationEvidence): Hex {
  const bin = (v: string | Uint8Array, what: string) => bytesToHex(toBytes(v, what))
  const normalized = evidence.kind === 'nitro' ? { kind: 'nitro', document: bin(evidence.document, 'document') }
    : evidence.kind === 'sev-snp' ? { kind: 'sev-snp', report: bin(evidence.report, 'report'), vcek: pemOrHex(evidence.vcek, 'vcek'), ask: pemOrHex(evidence.ask, 'ask'), ark: pemOrHex(evidence.ark, 'ark') }
      : evidence.kind === 'tdx' || evidence.kind === 'sgx' ? { kind: evidence.kind, quote: bin(evidence.quote, 'quote'), collateral: evidence.collateral }
        : evidence
  return bytesToHex(sha256(utf8.encode(canonicalJson(normalized as never))))
}

/** bindingFor (binding.ts): the 64-byte report data committing to `address` (no TLS key). */
export function bindingFor(address: string): Uint8Array {
  if (!isAddress(address)) throw new TypeError(`bindingFor: address expected 0x + 40 hex digits, got ${JSON.stringify(address)}`)
  return concatBytes(sha256(concatBytes(utf8.encode(BINDING_DOMAIN), hexToBytes(address.toLowerCase() as Hex), new Uint8Array(32))), new Uint8Array(32))
}

export function checkBinding(attestation: VerifiedAttestation, address: string): AttestationCheck {
  if (!equalBytes(attestation.reportData, bindingFor(address))) {
    return { check: 'binding', ok: false, message: `The attestation's report data does not commit to node ${address}: the key signing receipts is not the one this TEE vouched for.` }
  }
  if (!attestation.ok) return { check: 'binding', ok: false, message: `The report data names node ${address}, but the attestation itself did not verify, so the binding proves nothing.` }
  return { check: 'binding', ok: true, message: `The ${attestation.kind} attestation commits to node ${address}.` }
}

export type TeeBrowserCheck = {
  /** The mode check for verifyInferenceResult's list, as teeModeVerifier words it. */
  mode: CheckOutcome
  /** The attestation's own checks and the binding, when the evidence could be read. */
  attestation: VerifiedAttestation | null
  binding: AttestationCheck | null
  /** True when the evidence is of a kind this entry does not verify (TDX, SGX). */
  unsupported: boolean
}

/**
 * teeModeVerifier for the browser: the proofHash commits to the evidence, the evidence verifies (at
 * `now`, default the receipt's time), and its report data binds the receipt's node. Never throws.
 */
export async function checkTeeResult(result: InferenceResult, options: { now?: Date | number; policy?: VerifyOptions['policy'] } = {}): Promise<TeeBrowserCheck> {
  const fail = (message: string, rest: Partial<TeeBrowserCheck> = {}): TeeBrowserCheck => ({ mode: { check: 'mode', ok: false, message }, attestation: null, binding: null, unsupported: false, ...rest })
  if (result.receipt.mode !== 'TEE') return fail(`This verifier checks TEE results; the receipt says mode ${result.receipt.mode}.`)
  const evidence = result.proof as AttestationEvidence | undefined
  if (evidence === undefined || evidence === null || typeof evidence !== 'object') return fail('The result carries no attestation evidence in its proof field.')
  if (!(browserAttestationKinds as readonly string[]).includes(evidence.kind)) {
    return fail(`This page does not verify ${String(evidence.kind)} attestations; check the result with the SDK or \`verity verify\`.`, { unsupported: true })
  }
  let verified: VerifiedAttestation
  try {
    if (attestationDigest(evidence) !== result.receipt.proofHash) return fail("The attached attestation is not the one the receipt's proofHash commits to.")
    verified = await verifyAttestationInBrowser(evidence, { now: options.now ?? result.receipt.timestamp * 1000, policy: options.policy })
  } catch (error) {
    return fail(`The attached attestation cannot be read: ${(error as Error).message}`)
  }
  const binding = checkBinding(verified, result.receipt.node)
  if (!verified.ok) return fail(`The ${verified.kind} attestation does not verify: ${verified.checks.filter((c) => !c.ok).map((c) => c.message).join(' ')}`, { attestation: verified, binding })
  if (!binding.ok) return fail(binding.message, { attestation: verified, binding })
  return { mode: { check: 'mode', ok: true, message: `Mode TEE: a verified ${verified.provider} attestation (measurement ${verified.measurement.slice(0, 18)}…) vouches for node ${result.receipt.node}.` }, attestation: verified, binding, unsupported: false }
}
