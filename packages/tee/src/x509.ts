/**
 * A small X.509 reader for the browser verifier (browser.ts): DER TLVs, the certificate fields the
 * attestation checks need (to-be-signed bytes, signature algorithm and value, issuer and subject,
 * validity, public key), and signature verification with WebCrypto. No Node APIs; the Node verifiers
 * keep using node:crypto's X509Certificate, and browser.test.ts checks both agree on the fixtures.
 */

export type Tlv = { tag: number; start: number; valueStart: number; end: number }

export class DerError extends Error {
  constructor(message: string) {
    super(`DER: ${message}`)
    this.name = 'DerError'
  }
}

export function readTlv(der: Uint8Array, offset: number, limit = der.length): Tlv {
  if (offset + 2 > limit) throw new DerError(`truncated at byte ${offset}`)
  const tag = der[offset]!
  let length = der[offset + 1]!
  let p = offset + 2
  if (length & 0x80) {
    const n = length & 0x7f
    if (n === 0 || n > 4 || p + n > limit) throw new DerError(`bad length at byte ${offset}`)
    length = 0
    for (let i = 0; i < n; i++) length = length * 256 + der[p + i]!
    p += n
  }
  if (p + length > limit) throw new DerError(`element at byte ${offset} runs past its container`)
  return { tag, start: offset, valueStart: p, end: p + length }
}

export function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = []
  for (let p = parent.valueStart; p < parent.end;) {
    const t = readTlv(der, p, parent.end)
    out.push(t)
    p = t.end
  }
  return out
}

export function oidText(der: Uint8Array, t: Tlv): string {
  if (t.tag !== 0x06) throw new DerError('expected an OBJECT IDENTIFIER')
  const bytes = der.subarray(t.valueStart, t.end)
  const parts: number[] = [Math.floor(bytes[0]! / 40), bytes[0]! % 40]
  let v = 0
  for (const b of bytes.subarray(1)) {
    v = v * 128 + (b & 0x7f)
    if (!(b & 0x80)) { parts.push(v); v = 0 }
  }
  return parts.join('.')
}

const names: Record<string, string> = { '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.5': 'serialNumber' }

function nameText(der: Uint8Array, t: Tlv): string {
  const parts: string[] = []
  for (const set of children(der, t)) {
    for (const attr of children(der, set)) {
      const [oid, value] = children(der, attr)
      if (!oid || !value) continue
      const key = names[oidText(der, oid)] ?? oidText(der, oid)
      parts.push(`${key}=${new TextDecoder().decode(der.subarray(value.valueStart, value.end))}`)
    }
  }
  return parts.join(', ')
}

function timeOf(der: Uint8Array, t: Tlv): number {
  const s = new TextDecoder().decode(der.subarray(t.valueStart, t.end))
  const m = t.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : t.tag === 0x18 ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null
  if (!m) throw new DerError(`unreadable time ${JSON.stringify(s)}`)
  let year = Number(m[1])
  if (t.tag === 0x17) year += year < 50 ? 2000 : 1900
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))
}

export type SignatureAlgorithm =
  | { kind: 'ecdsa'; hash: 'SHA-256' | 'SHA-384' | 'SHA-512' }
  | { kind: 'rsa-pkcs1'; hash: 'SHA-256' | 'SHA-384' | 'SHA-512' }
  | { kind: 'rsa-pss'; hash: 'SHA-256' | 'SHA-384' | 'SHA-512'; saltLength: number }

const hashOids: Record<string, 'SHA-256' | 'SHA-384' | 'SHA-512'> = { '2.16.840.1.101.3.4.2.1': 'SHA-256', '2.16.840.1.101.3.4.2.2': 'SHA-384', '2.16.840.1.101.3.4.2.3': 'SHA-512' }

function signatureAlgorithm(der: Uint8Array, t: Tlv): SignatureAlgorithm {
  const [oid, params] = children(der, t)
  const id = oidText(der, oid!)
  const simple: Record<string, SignatureAlgorithm> = {
    '1.2.840.10045.4.3.2': { kind: 'ecdsa', hash: 'SHA-256' }, '1.2.840.10045.4.3.3': { kind: 'ecdsa', hash: 'SHA-384' }, '1.2.840.10045.4.3.4': { kind: 'ecdsa', hash: 'SHA-512' },
    '1.2.840.113549.1.1.11': { kind: 'rsa-pkcs1', hash: 'SHA-256' }, '1.2.840.113549.1.1.12': { kind: 'rsa-pkcs1', hash: 'SHA-384' }, '1.2.840.113549.1.1.13': { kind: 'rsa-pkcs1', hash: 'SHA-512' },
  }
  if (simple[id]) return simple[id]
  if (id === '1.2.840.113549.1.1.10' && params) {
    // RSASSA-PSS-params: [0] hashAlgorithm, [1] maskGenAlgorithm, [2] saltLength
    let hash: SignatureAlgorithm['hash'] = 'SHA-256'
    let saltLength = 20
    for (const field of children(der, params)) {
      if (field.tag === 0xa0) hash = hashOids[oidText(der, children(der, children(der, field)[0]!)[0]!)] ?? hash
      if (field.tag === 0xa2) {
        const int = children(der, field)[0]!
        saltLength = 0
        for (const b of der.subarray(int.valueStart, int.end)) saltLength = saltLength * 256 + b
      }
    }
    return { kind: 'rsa-pss', hash, saltLength }
  }
  throw new DerError(`unsupported signature algorithm ${id}`)
}

export type Certificate = {
  raw: Uint8Array
  tbs: Uint8Array
  signatureAlgorithm: SignatureAlgorithm
  signature: Uint8Array
  issuer: string
  subject: string
  notBefore: number
  notAfter: number
  /** SubjectPublicKeyInfo DER. */
  spki: Uint8Array
  key: { kind: 'ec'; curve: 'P-256' | 'P-384' | 'P-521' } | { kind: 'rsa' } | { kind: 'other'; oid: string }
}

const curves: Record<string, 'P-256' | 'P-384' | 'P-521'> = { '1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384', '1.3.132.0.35': 'P-521' }

export function parseCertificate(der: Uint8Array): Certificate {
  const cert = readTlv(der, 0)
  if (cert.tag !== 0x30 || cert.end !== der.length) throw new DerError('a certificate is one SEQUENCE')
  const [tbsT, algT, sigT] = children(der, cert)
  if (!tbsT || !algT || !sigT || sigT.tag !== 0x03) throw new DerError('a certificate holds tbsCertificate, signatureAlgorithm and signatureValue')
  const tbs = children(der, tbsT)
  const fields = tbs[0]?.tag === 0xa0 ? tbs.slice(1) : tbs
  const [, , issuerT, validityT, subjectT, spkiT] = fields
  if (!issuerT || !validityT || !subjectT || !spkiT) throw new DerError('tbsCertificate is missing fields')
  const [notBefore, notAfter] = children(der, validityT)
  const keyAlg = children(der, children(der, spkiT)[0]!)
  const keyOid = oidText(der, keyAlg[0]!)
  const key: Certificate['key'] = keyOid === '1.2.840.10045.2.1'
    ? { kind: 'ec', curve: curves[oidText(der, keyAlg[1]!)] ?? (() => { throw new DerError('unsupported EC curve') })() }
    : keyOid === '1.2.840.113549.1.1.1' || keyOid === '1.2.840.113549.1.1.10' ? { kind: 'rsa' } : { kind: 'other', oid: keyOid }
  return {
    raw: der, tbs: der.subarray(tbsT.start, tbsT.end), signatureAlgorithm: signatureAlgorithm(der, algT),
    signature: der.subarray(sigT.valueStart + 1, sigT.end), // skip the BIT STRING's unused-bits byte
    issuer: nameText(der, issuerT), subject: nameText(der, subjectT),
    notBefore: timeOf(der, notBefore!), notAfter: timeOf(der, notAfter!), spki: der.subarray(spkiT.start, spkiT.end), key,
  }
}

/** PEM (one certificate) → DER. */
export function pemToDer(pem: string): Uint8Array {
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '')
  const bin = atob(body)
  return Uint8Array.from(bin, (c) => c.charCodeAt(0))
}

export const commonName = (c: Certificate): string => /(?:^|, )CN=([^,]+)/.exec(c.subject)?.[1] ?? c.subject

/** ECDSA signature DER SEQUENCE { r, s } → r || s, each `size` bytes (WebCrypto's form). */
export function ecdsaDerToP1363(der: Uint8Array, size: number): Uint8Array {
  const seq = readTlv(der, 0)
  const [r, s] = children(der, seq)
  const out = new Uint8Array(2 * size)
  for (const [i, t] of [r!, s!].entries()) {
    let v = der.subarray(t.valueStart, t.end)
    while (v.length > size && v[0] === 0) v = v.subarray(1)
    if (v.length > size) throw new DerError('ECDSA integer too long')
    out.set(v, i * size + size - v.length)
  }
  return out
}

/** RSA keys in SPKI with the RSASSA-PSS OID (as AMD issues them) re-labelled rsaEncryption, which WebCrypto imports. */
function rsaSpki(spki: Uint8Array): Uint8Array {
  const outer = readTlv(spki, 0)
  const [alg, bits] = children(spki, outer)
  const rsaEncryption = Uint8Array.of(0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00)
  if (oidText(spki, children(spki, alg!)[0]!) === '1.2.840.113549.1.1.1') return spki
  const body = spki.subarray(bits!.start, bits!.end)
  const length = rsaEncryption.length + body.length
  const header = length < 0x80 ? [0x30, length] : length < 0x100 ? [0x30, 0x81, length] : [0x30, 0x82, length >> 8, length & 0xff]
  const out = new Uint8Array(header.length + length)
  out.set(header, 0)
  out.set(rsaEncryption, header.length)
  out.set(body, header.length + rsaEncryption.length)
  return out
}

const curveSize = { 'P-256': 32, 'P-384': 48, 'P-521': 66 } as const

/** Verifies `signature` over `data` with the certificate's public key (WebCrypto). ECDSA signatures are DER unless `p1363`. */
export async function verifyWithKey(cert: Certificate, alg: SignatureAlgorithm, data: Uint8Array, signature: Uint8Array, p1363 = false): Promise<boolean> {
  const subtle = globalThis.crypto.subtle
  // A copy: Node Buffers (cbor-x returns them) share one pooled ArrayBuffer, and Buffer#slice does not copy.
  const buf = (b: Uint8Array): ArrayBuffer => Uint8Array.from(b).buffer
  try {
    if (alg.kind === 'ecdsa') {
      if (cert.key.kind !== 'ec') return false
      const key = await subtle.importKey('spki', buf(cert.spki), { name: 'ECDSA', namedCurve: cert.key.curve }, false, ['verify'])
      const sig = p1363 ? signature : ecdsaDerToP1363(signature, curveSize[cert.key.curve])
      return await subtle.verify({ name: 'ECDSA', hash: alg.hash }, key, buf(sig), buf(data))
    }
    if (cert.key.kind !== 'rsa') return false
    if (alg.kind === 'rsa-pss') {
      const key = await subtle.importKey('spki', buf(rsaSpki(cert.spki)), { name: 'RSA-PSS', hash: alg.hash }, false, ['verify'])
      return await subtle.verify({ name: 'RSA-PSS', saltLength: alg.saltLength }, key, buf(signature), buf(data))
    }
    const key = await subtle.importKey('spki', buf(rsaSpki(cert.spki)), { name: 'RSASSA-PKCS1-v1_5', hash: alg.hash }, false, ['verify'])
    return await subtle.verify({ name: 'RSASSA-PKCS1-v1_5' }, key, buf(signature), buf(data))
  } catch {
    return false
  }
}

/** True when `cert` is signed by `issuer`'s key. */
export function isSignedBy(cert: Certificate, issuer: Certificate): Promise<boolean> {
  return verifyWithKey(issuer, cert.signatureAlgorithm, cert.tbs, cert.signature)
}
