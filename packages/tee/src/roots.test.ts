import { test } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import * as roots from './roots.ts'
import { fingerprint } from './_util.ts'

test('each embedded root matches its documented SHA-256 fingerprint and is self-signed', () => {
  const pairs: [string, string][] = [
    [roots.AWS_NITRO_ROOT_G1_PEM, roots.AWS_NITRO_ROOT_G1_SHA256],
    [roots.AMD_ARK_MILAN_PEM, roots.AMD_ARK_MILAN_SHA256],
    [roots.AMD_ARK_GENOA_PEM, roots.AMD_ARK_GENOA_SHA256],
    [roots.INTEL_SGX_ROOT_CA_PEM, roots.INTEL_SGX_ROOT_CA_SHA256],
  ]
  for (const [pem, sha] of pairs) {
    const cert = new X509Certificate(pem)
    assert.equal(fingerprint(cert), sha)
    assert.equal(cert.verify(cert.publicKey), true)
  }
  const ask = new X509Certificate(roots.AMD_ASK_MILAN_PEM)
  assert.equal(fingerprint(ask), roots.AMD_ASK_MILAN_SHA256)
  assert.equal(ask.verify(new X509Certificate(roots.AMD_ARK_MILAN_PEM).publicKey), true)
  const genoaAsk = new X509Certificate(roots.AMD_ASK_GENOA_PEM)
  assert.equal(fingerprint(genoaAsk), roots.AMD_ASK_GENOA_SHA256)
  assert.equal(genoaAsk.verify(new X509Certificate(roots.AMD_ARK_GENOA_PEM).publicKey), true)
})
