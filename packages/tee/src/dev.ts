/**
 * The INSECURE development provider, for local networks without TEE hardware. It produces a
 * document shaped like an attestation and signed by a P-256 key generated on the node itself, so it
 * proves NOTHING about the code that runs: anyone can produce one. Every verifier refuses it unless
 * policy.allowInsecureDev === true, and results always name the provider "dev (INSECURE)".
 *
 *   signature = P-256 ECDSA (compact r||s, low-s) over sha256(utf8(canonicalJson(document without "signature")))
 */
import { p256 } from '@noble/curves/nist.js'
import { VerityError, bytesToHex, canonicalJson, hexToBytes, utf8, type Hex } from '@verity/protocol'
import { Checks, iso, measurementHashOf, nowMs, result, sha256, sha384 } from './_util.ts'
import type { DevEvidence, VerifiedAttestation, VerifyOptions } from './types.ts'

/**
 * The measurement Verity nodes report with the dev provider: a constant, so that a local network's
 * governance allow-lists one hash. It names no code: the dev provider proves nothing.
 */
export const DEV_NODE_MEASUREMENT: Hex = bytesToHex(sha384(utf8.encode('verity-node dev-tee v1')))
/** measurementHashOf('dev', DEV_NODE_MEASUREMENT): what a dev-TEE network allow-lists on chain. */
export const DEV_NODE_MEASUREMENT_HASH: Hex = measurementHashOf('dev', hexToBytes(DEV_NODE_MEASUREMENT))

export type DevAttesterOptions = {
  /** 0x-hex P-256 private key; a fresh one is generated when absent. */
  privateKey?: Hex | undefined
  /** What to report as the measurement (0x-hex, e.g. a hash of the node build). Default: 48 zero bytes. */
  measurement?: Hex | undefined
}

export type DevAttester = {
  readonly publicKey: Hex
  attest(reportData: Uint8Array, now?: number): DevEvidence
}

function digestOf(body: Omit<DevEvidence, 'signature'>): Uint8Array {
  return sha256(utf8.encode(canonicalJson(body)))
}

/** Creates an INSECURE dev attester holding a locally generated key. */
export function createDevAttester(options: DevAttesterOptions = {}): DevAttester {
  const secret = options.privateKey === undefined ? p256.utils.randomSecretKey() : hexToBytes(options.privateKey, 'privateKey')
  const publicKey = bytesToHex(p256.getPublicKey(secret, false))
  const measurement = options.measurement ?? bytesToHex(new Uint8Array(48))
  return {
    publicKey,
    attest(reportData, now = Date.now()) {
      if (!(reportData instanceof Uint8Array) || reportData.length !== 64) throw new TypeError('dev attest: reportData expected 64 bytes (see bindingFor)')
      const body: Omit<DevEvidence, 'signature'> = { kind: 'dev', version: 1, insecure: true, measurement, reportData: bytesToHex(reportData), timestamp: now, publicKey }
      const signature = bytesToHex(p256.sign(digestOf(body), secret, { prehash: false, lowS: true }))
      return { ...body, signature }
    },
  }
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
    ok = p256.verify(hexToBytes(signature), digestOf(body), hexToBytes(evidence.publicKey), { prehash: false, lowS: true })
  } catch {
    ok = false
  }
  checks.add('signature', ok, ok ? 'The document is signed by the dev key it names.' : 'The document signature does not match its contents.')
  const maxAge = (policy.maxAgeSeconds ?? 600) * 1000
  const age = now - evidence.timestamp
  const fresh = age >= -60_000 && age <= maxAge
  checks.add('freshness', fresh, fresh
    ? `Produced at ${iso(evidence.timestamp)}, ${Math.round(age / 1000)} s before the check.`
    : `Produced at ${iso(evidence.timestamp)}: outside the ${maxAge / 1000} s window around ${iso(now)}.`)
  return result(checks, {
    kind: 'dev', provider: 'dev (INSECURE)', measurement: hexToBytes(evidence.measurement), reportData: hexToBytes(evidence.reportData),
    debug: true, timestamp: evidence.timestamp, claims: { publicKey: evidence.publicKey, insecure: true },
  }, options)
}
