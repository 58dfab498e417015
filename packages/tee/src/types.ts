/** Shapes shared by every verifier: the evidence forms, the policy, and the verified result. */
import type { Hex } from '@verity/protocol'

export const attestationKinds = ['nitro', 'sev-snp', 'tdx', 'sgx', 'dev'] as const
export type AttestationKind = (typeof attestationKinds)[number]

/**
 * Evidence as carried in JSON (receipts, explorer, registry). Binary fields are base64 or 0x-hex
 * strings; Uint8Array is accepted too when calling in-process.
 */
export type NitroEvidence = { kind: 'nitro'; document: string | Uint8Array }
export type SnpEvidence = {
  kind: 'sev-snp'
  /** The 1184-byte attestation report. */
  report: string | Uint8Array
  /** The VCEK certificate (PEM, or DER as base64/hex/bytes), as served by AMD KDS or the host's cert table. */
  vcek: string | Uint8Array
  /** Optional ASK/ARK (PEM or DER); defaults to the pinned Milan chain. */
  ask?: string | Uint8Array | undefined
  ark?: string | Uint8Array | undefined
}
/** Intel collateral as served by a PCCS (the @phala/dcap-qvl QuoteCollateralV3 JSON shape). */
export type DcapCollateral = {
  tcb_info_issuer_chain: string
  tcb_info: string
  tcb_info_signature: string | number[]
  qe_identity_issuer_chain: string
  qe_identity: string
  qe_identity_signature: string | number[]
  pck_crl_issuer_chain?: string | undefined
  root_ca_crl?: string | number[] | undefined
  pck_crl?: string | number[] | undefined
}
export type DcapEvidence = { kind: 'tdx' | 'sgx'; quote: string | Uint8Array; collateral: DcapCollateral }
export type DevEvidence = {
  kind: 'dev'
  version: 1
  /** Always true: a reminder, in the document itself, that nothing vouches for it. */
  insecure: true
  measurement: Hex
  reportData: Hex
  /** Unix milliseconds. */
  timestamp: number
  /** Uncompressed P-256 public key of the locally generated key. */
  publicKey: Hex
  /** P-256 ECDSA (compact r||s) over sha256(canonicalJson(document without signature)). */
  signature: Hex
}
export type AttestationEvidence = NitroEvidence | SnpEvidence | DcapEvidence | DevEvidence

/** Which TCB statuses Intel collateral may report and still be accepted (default: UpToDate, SWHardeningNeeded). */
export type DcapTcbStatus =
  | 'UpToDate' | 'SWHardeningNeeded' | 'ConfigurationNeeded' | 'ConfigurationAndSWHardeningNeeded' | 'OutOfDate'
  | 'OutOfDateConfigurationNeeded' | 'Revoked'
  /** The platform is below every TCB level Intel lists: Intel no longer rates it. */
  | 'NotSupported'

export type VerifyPolicy = {
  /** Accept debug enclaves / debug-enabled guests. Default false: their memory is readable by the host. */
  allowDebug?: boolean | undefined
  /** Accept the INSECURE dev provider's self-signed documents. Default false. */
  allowInsecureDev?: boolean | undefined
  /** Reject documents older than this (Nitro, dev; seconds). Default 600. */
  maxAgeSeconds?: number | undefined
  /** Accept only these measurements (0x-hex, as returned in `measurement`). */
  expectedMeasurements?: readonly string[] | undefined
  /** Intel TCB statuses to accept. Default ['UpToDate', 'SWHardeningNeeded']. */
  allowedTcbStatuses?: readonly DcapTcbStatus[] | undefined
  /** Accept Intel collateral without CRLs (revocation then goes unchecked). Default false. */
  allowMissingCrls?: boolean | undefined
  /** Override pinned roots (PEM). Tests use this to prove a wrong root is refused. */
  roots?: { nitro?: string | undefined; amdArk?: string | undefined; intel?: string | undefined } | undefined
}

export type VerifyOptions = {
  /** Expected kind; checked against the evidence. */
  kind?: AttestationKind | undefined
  /** The time to verify at (Date or unix ms). Required: verification must be reproducible. */
  now: Date | number
  policy?: VerifyPolicy | undefined
}

export type CheckName =
  | 'format' | 'kind' | 'root' | 'chain' | 'validity' | 'signature' | 'freshness' | 'debug' | 'measurement'
  | 'tcb' | 'collateral' | 'revocation' | 'chip' | 'insecure-dev' | 'binding'

export type AttestationCheck = {
  check: CheckName
  ok: boolean
  /** Plain words, shown to users in the explorer. */
  message: string
}

export type VerifiedAttestation = {
  ok: boolean
  kind: AttestationKind
  /** Which provider produced it: hardware vendor name, or 'dev (INSECURE)'. */
  provider: string
  /** The code identity, 0x-hex (Nitro PCR0; SNP launch measurement; TDX MRTD||RTMR0..3; SGX MRENCLAVE). */
  measurement: Hex
  /** sha256(utf8(kind) || 0x00 || measurement bytes): one bytes32 to allow-list on chain. */
  measurementHash: Hex
  /** The data the guest bound into the attestation (Nitro user_data; SNP/TDX/SGX report_data). */
  reportData: Uint8Array
  debug: boolean
  /** Unix ms when the TEE produced the document, when the format says so. */
  timestamp: number | null
  claims: Record<string, unknown>
  checks: AttestationCheck[]
}
