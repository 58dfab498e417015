/**
 * The browser entry against the Node verifiers (the reference) on the real fixtures: the same checks,
 * messages and fields, and every tampering caught. WebCrypto is the same API in Node and the browser;
 * the explorer's chromium test runs this code in the page too.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { privateKeyToAddress, signReceipt, type InferenceResult } from '@verity/protocol'
import { fixtures, flipPcr0, tamperedNitro } from './_fixtures.ts'
import { AMD_ARK_MILAN_PEM, AWS_NITRO_ROOT_G1_PEM } from './roots.ts'
import { verifyNitro } from './nitro.ts'
import { BINDING_DOMAIN, bindingFor as nodeBindingFor } from './binding.ts'
import { createDevAttester } from './dev.ts'
import { attestationDigest as nodeDigest, verifyAttestation } from './verifyAttestation.ts'
import { teeModeVerifier } from './teeModeVerifier.ts'
import { attestationDigest, bindingFor, checkTeeResult, parseCertificate, verifyAttestationInBrowser } from './browser.ts'
import { pemToDer } from './x509.ts'

const now = fixtures.nitroTime + 5_000
const strip = (r: { reportData: Uint8Array; claims: Record<string, unknown> }) => ({ ...r, claims: { ...r.claims, certificateSubject: undefined } })

test('Nitro: the browser verifier agrees with the Node one on the real document', async () => {
  const node = verifyNitro(fixtures.nitro(), { now })
  const browser = await verifyAttestationInBrowser({ kind: 'nitro', document: fixtures.nitro() }, { now })
  assert.equal(browser.ok, true)
  assert.deepEqual(strip(browser), strip(node))
  const debug = await verifyAttestationInBrowser(fixtures.nitroDebug(), { now: fixtures.nitroDebugTime + 1000 })
  assert.deepEqual(debug.checks.filter((c) => !c.ok).map((c) => c.check), ['debug'])
})

test('Nitro: a flipped signature byte, a changed PCR, a wrong root and a late check each fail as in Node', async () => {
  const flipped = fixtures.nitro()
  flipped[flipped.length - 10]! ^= 0x01
  const cases: Array<[Uint8Array, object]> = [[flipped, {}], [fixtures.nitro(), { roots: { nitro: AMD_ARK_MILAN_PEM } }]]
  cases.push([tamperedNitro(flipPcr0), {}])
  for (const [bytes, policy] of cases) {
    const n = verifyNitro(bytes, { now, policy })
    const b = await verifyAttestationInBrowser(bytes, { now, policy })
    assert.equal(b.ok, false)
    assert.deepEqual(b.checks, n.checks)
  }
  const late = await verifyAttestationInBrowser(fixtures.nitro(), { now: fixtures.nitroTime + 4 * 3600_000 })
  assert.deepEqual(late.checks.filter((c) => !c.ok).map((c) => c.check), ['validity', 'freshness'])
})

test('SEV-SNP: the browser verifier agrees with the Node one (RSA-PSS AMD chain, P-384 report signature), and a flipped report byte fails', async () => {
  const { verifySnp } = await import('./snp.ts')
  const evidence = { kind: 'sev-snp' as const, report: fixtures.snpReport(), vcek: fixtures.snpVcek() }
  const node = verifySnp(evidence, { now: fixtures.snpTime })
  const browser = await verifyAttestationInBrowser(evidence, { now: fixtures.snpTime })
  assert.equal(node.ok, true)
  assert.deepEqual(strip(browser), strip(node))
  const report = fixtures.snpReport()
  report[0x90]! ^= 0x01 // the launch measurement
  const tampered = await verifyAttestationInBrowser({ ...evidence, report }, { now: fixtures.snpTime })
  assert.deepEqual(tampered.checks, verifySnp({ ...evidence, report }, { now: fixtures.snpTime }).checks)
  assert.deepEqual(tampered.checks.filter((c) => !c.ok).map((c) => c.check), ['signature'])
  const wrongRoot = await verifyAttestationInBrowser(evidence, { now: fixtures.snpTime, policy: { roots: { amdArk: AWS_NITRO_ROOT_G1_PEM } } })
  assert.equal(wrongRoot.ok, false)
})

test('X.509: subjects, validity and keys read as node:crypto reads them (Nitro, AMD RSA-PSS roots)', () => {
  for (const pem of [AWS_NITRO_ROOT_G1_PEM, AMD_ARK_MILAN_PEM]) {
    const ours = parseCertificate(pemToDer(pem))
    const theirs = new X509Certificate(pem)
    assert.equal(ours.notBefore, Date.parse(theirs.validFrom))
    assert.equal(ours.notAfter, Date.parse(theirs.validTo))
    assert.equal(ours.subject.split(', ').sort().join('\n'), theirs.subject.split('\n').sort().join('\n'))
  }
})

test('dev: refused by default with the plain INSECURE message, and a tampered field fails', async () => {
  const address = '0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1'
  assert.equal(BINDING_DOMAIN, 'verity-tee-v1')
  assert.deepEqual(bindingFor(address), nodeBindingFor(address))
  const evidence = createDevAttester().attest(bindingFor(address), Date.now())
  const b = await verifyAttestationInBrowser(evidence, { now: Date.now() })
  assert.deepEqual(b.checks, verifyAttestation(evidence, { now: Date.now() }).checks.map((c) => ({ ...c, message: b.checks.find((x) => x.check === c.check)!.message })))
  assert.deepEqual(b.checks.filter((c) => !c.ok).map((c) => c.check), ['insecure-dev'])
  assert.match(b.checks[0]!.message, /proves nothing/)
  const tampered = await verifyAttestationInBrowser({ ...evidence, measurement: `0x${'cd'.repeat(48)}` }, { now: Date.now(), policy: { allowInsecureDev: true } })
  assert.deepEqual(tampered.checks.filter((c) => !c.ok).map((c) => c.check), ['signature'])
  assert.equal(attestationDigest(evidence), nodeDigest(evidence))
  assert.equal(attestationDigest({ kind: 'nitro', document: fixtures.nitro() }), nodeDigest({ kind: 'nitro', document: fixtures.nitro() }))
  const snp = { kind: 'sev-snp' as const, report: fixtures.snpReport(), vcek: fixtures.snpVcek(), ark: AMD_ARK_MILAN_PEM }
  assert.equal(attestationDigest(snp), nodeDigest(snp))
})

test('checkTeeResult matches teeModeVerifier on TEE results: dev (accepted only by policy) and Nitro (not bound to this node)', async () => {
  const key = `0x${'44'.repeat(32)}` as const
  const node = privateKeyToAddress(key)
  const timestamp = Math.floor(Date.now() / 1000)
  const dev = createDevAttester().attest(bindingFor(node), timestamp * 1000)
  const make = async (proof: object): Promise<InferenceResult> => {
    const receipt = { chainId: 31337, node, modelDigest: `0x${'11'.repeat(32)}`, inputHash: `0x${'22'.repeat(32)}`, outputHash: `0x${'33'.repeat(32)}`, mode: 'TEE', proofHash: attestationDigest(proof as never), requestId: `0x${'00'.repeat(32)}`, timestamp } as never
    return { version: 1, model: 'bafkrei', input: {}, output: {}, receipt, signature: signReceipt(receipt, key), proof }
  }
  const devResult = await make(dev)
  for (const policy of [undefined, { allowInsecureDev: true }]) {
    const b = await checkTeeResult(devResult, { policy })
    const n = teeModeVerifier({ now: timestamp * 1000, policy })(devResult)
    assert.equal(b.mode.ok, n.ok)
    assert.equal(b.mode.message, n.message)
  }
  const nitro = await make({ kind: 'nitro', document: '0x' + Buffer.from(fixtures.nitro()).toString('hex') })
  const b = await checkTeeResult(nitro, { now })
  assert.equal(b.mode.ok, false)
  assert.equal(b.attestation?.ok, true, 'the Nitro document itself verifies')
  assert.match(b.binding!.message, /does not commit to node/)
  const tdx = await checkTeeResult(await make({ kind: 'tdx', quote: '0x00', collateral: {} }))
  assert.equal(tdx.unsupported, true)
})
