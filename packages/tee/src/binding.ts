/**
 * Key binding: how an attestation commits to the node's signing key (and TLS key, when the node
 * serves TLS from inside the TEE). Specified once, here:
 *
 *   tlsHash     = sha256(TLS SubjectPublicKeyInfo DER), or 32 zero bytes when there is no TLS key
 *   binding     = sha256( utf8("verity-tee-v1") || signing address (20 bytes) || tlsHash ) (32 bytes)
 *   reportData  = binding || 32 zero bytes                                                  (64 bytes)
 *
 * The 64-byte reportData goes in SEV-SNP REPORT_DATA, TDX/SGX REPORTDATA, Nitro user_data, and the
 * dev provider's reportData. A verifier that accepted the attestation then checks that reportData
 * equals bindingFor(receipt signer, tls key): the key signing receipts is the one the TEE vouched for.
 */
import { bytesToHex, concatBytes, hexToBytes, isAddress, utf8, type Hex } from '@verity/protocol'
import { sha256 } from './_util.ts'
import type { AttestationCheck, VerifiedAttestation } from './types.ts'

export const BINDING_DOMAIN = 'verity-tee-v1'

export type BindingOptions = {
  /** The TLS public key as DER SubjectPublicKeyInfo bytes (e.g. KeyObject.export({ type: 'spki', format: 'der' })). */
  tlsSpki?: Uint8Array | undefined
}

function tlsHash(options: BindingOptions): Uint8Array {
  return options.tlsSpki === undefined ? new Uint8Array(32) : sha256(options.tlsSpki)
}

/** The 64-byte report data binding `address` (and optionally a TLS key) into an attestation. */
export function bindingFor(address: string, options: BindingOptions = {}): Uint8Array {
  if (!isAddress(address)) throw new TypeError(`bindingFor: address expected 0x + 40 hex digits, got ${JSON.stringify(address)}`)
  const digest = sha256(concatBytes(utf8.encode(BINDING_DOMAIN), hexToBytes(address.toLowerCase()), tlsHash(options)))
  return concatBytes(digest, new Uint8Array(32))
}

export function bindingHex(address: string, options: BindingOptions = {}): Hex {
  return bytesToHex(bindingFor(address, options))
}

/**
 * Whether a verified attestation commits to `address` (and the TLS key, if given). Only meaningful
 * when the attestation itself verified (`attestation.ok`); this check says so when it did not.
 */
export function checkBinding(attestation: VerifiedAttestation, address: string, options: BindingOptions = {}): AttestationCheck {
  const expected = bindingFor(address, options)
  const actual = attestation.reportData
  const ok = actual.length === expected.length && Buffer.from(actual).equals(Buffer.from(expected))
  if (!ok) {
    return {
      check: 'binding', ok: false,
      message: `The attestation's report data does not commit to node ${address}${options.tlsSpki ? ' and its TLS key' : ''}: the key signing receipts is not the one this TEE vouched for.`,
    }
  }
  if (!attestation.ok) {
    return { check: 'binding', ok: false, message: `The report data names node ${address}, but the attestation itself did not verify, so the binding proves nothing.` }
  }
  return { check: 'binding', ok: true, message: `The ${attestation.kind} attestation commits to node ${address}${options.tlsSpki ? ' and its TLS key' : ''}.` }
}
