/**
 * Intel TDX and SGX DCAP quotes (Intel "TDX DCAP Quoting Library API", appendix A: quote v4/v5
 * layout; "SGX ECDSA Quote Library API" for v3). Cryptographic verification — PCK chain to the
 * pinned Intel SGX Root CA, QE report signature, quote signature, Intel's signatures over the TCB
 * info and QE identity, freshness of that collateral, TCB level matching — is done by
 * @phala/dcap-qvl (pure JS, pinned exactly) given the collateral the caller cached from a PCCS.
 * This module maps its outcome to plain-word checks and adds its own: the pinned root's fingerprint,
 * the debug bit, revocation coverage, and the TCB statuses the policy accepts.
 *
 * measurement: TDX = MRTD || RTMR0 || RTMR1 || RTMR2 || RTMR3 (5 × 48 bytes); SGX = MRENCLAVE.
 * reportData: the 64-byte REPORTDATA of the TD or enclave.
 */
import { X509Certificate } from 'node:crypto'
import { Quote, QuoteVerifier, type TDReport10, type EnclaveReport } from '@phala/dcap-qvl'
import { VerityError, bytesToHex } from '@verity/protocol'
import { INTEL_SGX_ROOT_CA_PEM } from './roots.ts'
import { Checks, cn, fingerprint, iso, nowMs, result, toBytes } from './_util.ts'
import type { CheckName, DcapCollateral, DcapEvidence, DcapTcbStatus, VerifiedAttestation, VerifyOptions } from './types.ts'

const TEE_TYPE_TDX = 0x81

type Stage = 'collateral' | 'chain' | 'signature' | 'tcb' | 'debug'
const passed: Record<'collateral' | 'chain' | 'signature', string> = {
  collateral: "Intel's TCB info and quoting-enclave identity are signed by Intel and current at the time checked.",
  chain: 'The PCK certificate chain in the quote leads to the Intel SGX Root CA.',
  signature: 'The quoting enclave report is signed by the PCK key, and the quote is signed by the attestation key it vouches for.',
}

/** Maps a dcap-qvl failure to the stage it stopped at and a plain-word reason. */
function classify(message: string, collateral: DcapCollateral): { stage: Stage | 'format' | 'revocation' | 'validity'; reason: string; tcbStatus?: DcapTcbStatus } {
  const window = (json: string): string => {
    try {
      const { issueDate, nextUpdate } = JSON.parse(json) as { issueDate: string; nextUpdate: string }
      return `valid from ${issueDate} to ${nextUpdate}`
    } catch {
      return 'of unknown validity'
    }
  }
  if (/TCBInfo expired|TCBInfo issue date/.test(message)) {
    return { stage: 'collateral', reason: `Intel's TCB info is stale or not yet valid (${window(collateral.tcb_info)}). Fetch fresh collateral from a PCCS, or verify at a time within its validity.` }
  }
  if (/QE Identity expired|QE Identity issue date/.test(message)) {
    return { stage: 'collateral', reason: `Intel's quoting-enclave identity is stale or not yet valid (${window(collateral.qe_identity)}). Fetch fresh collateral from a PCCS, or verify at a time within its validity.` }
  }
  if (/Signature is invalid for (tcb_info|qe_identity)/.test(message)) return { stage: 'collateral', reason: "Intel's signature over the collateral does not verify: it was altered or comes from another issuer." }
  if (/decode (TcbInfo|QeIdentity)|Unsupported QE Identity|non-(TDX|SGX) TCB info|Fmspc mismatch/.test(message)) {
    return { stage: 'collateral', reason: `The collateral does not belong to this quote's platform (${message}).` }
  }
  if (/Certificate is expired or not yet valid/.test(message)) return { stage: 'validity', reason: 'A certificate in the PCK or collateral chain is outside its validity period at the time checked.' }
  if (/Certificate is revoked/.test(message)) return { stage: 'revocation', reason: "A certificate in the chain is on Intel's revocation list." }
  if (/certificate chain|CaUsedAsEndEntity|too short|PCK cert/.test(message)) return { stage: 'chain', reason: `The PCK certificate chain does not lead to the pinned Intel root (${message}).` }
  if (/qe_report|QE report hash|ISV enclave report signature/.test(message)) return { stage: 'signature', reason: 'The quote signature does not match its contents: it was altered or forged.' }
  if (/^QE (MRSIGNER|ISVPRODID|MISCSELECT|ATTRIBUTES|ISVSVN)/.test(message)) return { stage: 'tcb', reason: `The quoting enclave is not the one Intel's identity describes (${message}).` }
  if (/No matching TCB level/.test(message)) return { stage: 'tcb', reason: '', tcbStatus: 'NotSupported' }
  const status = /TCB status is invalid: (\w+)/.exec(message)
  if (status) return { stage: 'tcb', reason: '', tcbStatus: status[1] as DcapTcbStatus }
  if (/Debug mode|Reserved bits|SEPT_VE_DISABLE|mr service td/.test(message)) return { stage: 'debug', reason: message }
  return { stage: 'format', reason: `The quote could not be verified: ${message}.` }
}

const hex = (b: Uint8Array): string => bytesToHex(b)

/**
 * Verifies an Intel TDX or SGX DCAP quote with cached collateral.
 * @throws VerityError ATTESTATION_MALFORMED when the quote cannot be parsed.
 */
export function verifyDcap(evidence: DcapEvidence, options: VerifyOptions): VerifiedAttestation {
  const now = nowMs(options.now)
  const policy = options.policy ?? {}
  const quoteBytes = toBytes(evidence.quote, `${evidence.kind} quote`)
  const collateral = evidence.collateral
  if (collateral === null || typeof collateral !== 'object' || typeof collateral.tcb_info !== 'string' || typeof collateral.qe_identity !== 'string') {
    throw new VerityError('ATTESTATION_MALFORMED', `${evidence.kind} evidence needs Intel collateral with tcb_info and qe_identity (fetch it from a PCCS and cache it)`)
  }
  let quote: Quote
  try {
    quote = Quote.parse(quoteBytes)
  } catch (cause) {
    throw new VerityError('ATTESTATION_MALFORMED', `${evidence.kind} quote could not be parsed`, { cause })
  }
  const isTdx = quote.header.teeType === TEE_TYPE_TDX
  const actualKind = isTdx ? 'tdx' : 'sgx'
  const checks = new Checks()
  if (actualKind !== evidence.kind) checks.add('kind', false, `The evidence says ${evidence.kind} but the quote is an ${actualKind.toUpperCase()} quote.`)

  const pinned = new X509Certificate(policy.roots?.intel ?? INTEL_SGX_ROOT_CA_PEM)
  let measurement: Uint8Array
  let reportData: Uint8Array
  let debug: boolean
  const claims: Record<string, unknown> = { quoteVersion: quote.header.version, teeType: actualKind }
  if (isTdx) {
    const td = (quote.report.asTd10() ?? quote.report.asTd15()?.base) as TDReport10
    measurement = Buffer.concat([td.mrTd, td.rtMr0, td.rtMr1, td.rtMr2, td.rtMr3])
    reportData = new Uint8Array(td.reportData)
    debug = (td.tdAttributes[0]! & 0x01) !== 0 // TUD.DEBUG
    Object.assign(claims, {
      mrTd: hex(td.mrTd), rtmr0: hex(td.rtMr0), rtmr1: hex(td.rtMr1), rtmr2: hex(td.rtMr2), rtmr3: hex(td.rtMr3), mrSeam: hex(td.mrSeam),
      mrConfigId: hex(td.mrConfigId), mrOwner: hex(td.mrOwner), mrOwnerConfig: hex(td.mrOwnerConfig), tdAttributes: hex(td.tdAttributes),
      xfam: hex(td.xfam), teeTcbSvn: hex(td.teeTcbSvn),
    })
  } else {
    const enclave = quote.report.asSgx() as EnclaveReport
    measurement = new Uint8Array(enclave.mrEnclave)
    reportData = new Uint8Array(enclave.reportData)
    debug = (enclave.attributes[0]! & 0x02) !== 0 // ATTRIBUTES.DEBUG
    Object.assign(claims, { mrEnclave: hex(enclave.mrEnclave), mrSigner: hex(enclave.mrSigner), isvProdId: enclave.isvProdId, isvSvn: enclave.isvSvn, attributes: hex(enclave.attributes) })
  }

  // Our own check of the root the quote's PCK chain ends at (dcap-qvl checks signatures up to it).
  const chainPem = Buffer.from(quote.authData.intoV3().certificationData.body).toString('latin1')
  const pems = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  const last = pems.length > 0 ? new X509Certificate(pems.at(-1)!) : null
  const rootOk = last !== null && fingerprint(last) === fingerprint(pinned)
  checks.add('root', rootOk, rootOk
    ? `The PCK chain ends at the pinned root "${cn(pinned)}" (sha256 ${fingerprint(pinned).slice(0, 16)}…).`
    : `The PCK chain ends at ${last === null ? 'no certificate' : `"${cn(last)}" (sha256 ${fingerprint(last).slice(0, 16)}…)`}, which is not the pinned root "${cn(pinned)}".`)

  const hasCrls = Boolean(collateral.root_ca_crl && collateral.pck_crl && collateral.root_ca_crl.length > 0 && collateral.pck_crl.length > 0)
  const normalized = { ...collateral, pck_crl_issuer_chain: collateral.pck_crl_issuer_chain ?? '', root_ca_crl: collateral.root_ca_crl ?? '', pck_crl: collateral.pck_crl ?? '' }

  let tcbStatus: DcapTcbStatus | null = null
  let advisoryIds: string[] = []
  let failure: ReturnType<typeof classify> | null = null
  try {
    const verified = QuoteVerifier.newWithRootCa(Buffer.from(pinned.raw)).verify(quoteBytes, normalized, Math.floor(now / 1000))
    tcbStatus = verified.status as DcapTcbStatus
    advisoryIds = verified.advisory_ids
  } catch (error) {
    failure = classify(error instanceof Error ? error.message : String(error), collateral)
    if (failure.tcbStatus !== undefined) tcbStatus = failure.tcbStatus
  }

  // dcap-qvl stops at the first failure, in this order; every stage before it passed.
  const order = ['collateral', 'chain', 'signature'] as const
  const stage = failure?.stage
  const inOrder = (order as readonly string[]).indexOf(stage ?? '')
  const passedUpTo = failure === null || stage === 'tcb' || stage === 'debug' ? order.length : inOrder >= 0 ? inOrder : 0
  for (let i = 0; i < passedUpTo; i++) checks.add(order[i]!, true, passed[order[i]!])
  if (failure !== null && (inOrder >= 0 || stage === 'validity' || stage === 'revocation' || stage === 'format')) {
    checks.add(stage as CheckName, false, failure.reason)
  }

  if (tcbStatus !== null) {
    const allowed = policy.allowedTcbStatuses ?? ['UpToDate', 'SWHardeningNeeded']
    const ok = allowed.includes(tcbStatus)
    const described = tcbStatus === 'NotSupported'
      ? "the platform's firmware is below every TCB level Intel lists for it (Intel no longer rates it)"
      : `Intel rates the platform's TCB "${tcbStatus}"${advisoryIds.length > 0 ? ` (advisories ${advisoryIds.join(', ')})` : ''}`
    checks.add('tcb', ok, ok ? `${described[0]!.toUpperCase()}${described.slice(1)}; the policy accepts that.` : `${described[0]!.toUpperCase()}${described.slice(1)}; the policy accepts only ${allowed.join(', ')}.`)
  } else if (failure?.stage === 'tcb') {
    checks.add('tcb', false, failure.reason)
  }
  checks.add('revocation', hasCrls || policy.allowMissingCrls === true, hasCrls
    ? "The PCK and root CRLs were consulted; no certificate in the chain is revoked."
    : policy.allowMissingCrls === true
      ? 'The collateral carries no CRLs, so revocation was NOT checked (accepted by policy).'
      : 'The collateral carries no CRLs, so revocation cannot be checked. Fetch collateral with CRLs from a PCCS.')
  checks.add('debug', !debug || policy.allowDebug === true, !debug
    ? `The ${isTdx ? 'TD' : 'enclave'} is not in debug mode.`
    : `The ${isTdx ? 'TD' : 'enclave'} runs in DEBUG mode: the host can read its memory${policy.allowDebug === true ? '. Accepted because the policy allows debug.' : ', so nothing it signs can be trusted.'}`)
  if (failure?.stage === 'debug' && !/Debug mode/.test(failure.reason)) checks.add('debug', false, `The TD attributes are not production-safe: ${failure.reason}.`)

  Object.assign(claims, { tcbStatus, advisoryIds, checkedAt: iso(now) })
  return result(checks, { kind: actualKind, provider: isTdx ? 'intel-tdx' : 'intel-sgx', measurement, reportData, debug, timestamp: null, claims }, options)
}
