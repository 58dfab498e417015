/**
 * The INSECURE development provider, for local networks without TEE hardware. It produces a
 * document shaped like an attestation and signed by a P-256 key generated on the node itself, so it
 * proves NOTHING about the code that runs: anyone can produce one. Every verifier refuses it unless
 * policy.allowInsecureDev === true, and results always name the provider "dev (INSECURE)".
 *
 *   signature = P-256 ECDSA (compact r||s, low-s) over sha256(utf8(canonicalJson(document without "signature")))
 */
import { p256 } from '@noble/curves/nist.js'
import { bytesToHex, hexToBytes, utf8, type Hex } from '@verity/protocol'
import { measurementHashOf, sha384 } from './_util.ts'
import { devDigest, verifyDev } from './verdicts.ts'
import type { DevEvidence } from './types.ts'

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
      const signature = bytesToHex(p256.sign(devDigest(body), secret, { prehash: false, lowS: true }))
      return { ...body, signature }
    },
  }
}

export { verifyDev }
