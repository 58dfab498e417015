import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { VerityError } from '@verity/protocol'
import { bindingFor, checkBinding } from './binding.ts'
import {
  attestNode, detectTeeProviders, devProvider, encodeSnpCertTable, nitroProvider, parseSnpCertTable, readTsmReport, tsmReportToEvidence,
} from './providers.ts'
import { verifyAttestation } from './verifyAttestation.ts'
import { fixtures } from './_fixtures.ts'

const ADDRESS = '0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1'

test('detection on this machine reports every provider with a reason, dev always available', () => {
  const found = detectTeeProviders()
  assert.deepEqual(found.map((p) => p.name), ['tdx', 'sev-snp', 'nitro', 'dev'])
  assert.equal(found.find((p) => p.name === 'dev')!.available, true)
  for (const p of found) assert.ok(p.reason.length > 10)
})

test('detection sees a TDX guest layout under a root prefix', () => {
  const root = mkdtempSync(join(tmpdir(), 'verity-tee-'))
  try {
    mkdirSync(join(root, 'sys/kernel/config/tsm/report'), { recursive: true })
    mkdirSync(join(root, 'dev'))
    writeFileSync(join(root, 'dev/tdx_guest'), '')
    assert.equal(detectTeeProviders(root).find((p) => p.name === 'tdx')!.available, true)
    assert.equal(detectTeeProviders(root).find((p) => p.name === 'sev-snp')!.available, false)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

// configfs-tsm itself needs a TEE guest kernel; here the entry directory holds the outputs a real
// SEV-SNP guest produced (the virtee fixture) to test the file protocol and the certificate table.
test('configfs-tsm protocol on a recorded SEV-SNP entry yields evidence that verifies', async () => {
  const entry = mkdtempSync(join(tmpdir(), 'verity-tsm-'))
  try {
    writeFileSync(join(entry, 'outblob'), fixtures.snpReport())
    writeFileSync(join(entry, 'auxblob'), encodeSnpCertTable({ vcek: fixtures.snpVcek() }))
    writeFileSync(join(entry, 'provider'), 'sev_guest\n')
    writeFileSync(join(entry, 'generation'), '0\n')
    // The kernel bumps generation on each inblob write; a plain directory does not, which the
    // provider must notice as a concurrent writer.
    await assert.rejects(readTsmReport(entry, bindingFor(ADDRESS)), (e: unknown) => e instanceof VerityError && e.code === 'ATTESTATION_UNAVAILABLE')
    assert.deepEqual(new Uint8Array(readFileSync(join(entry, 'inblob'))), bindingFor(ADDRESS))
    const evidence = await tsmReportToEvidence({
      provider: 'sev_guest', outblob: new Uint8Array(readFileSync(join(entry, 'outblob'))), auxblob: new Uint8Array(readFileSync(join(entry, 'auxblob'))), generation: 1,
    })
    assert.equal(evidence.kind, 'sev-snp')
    assert.equal(verifyAttestation(evidence, { now: fixtures.snpTime }).ok, true)
  } finally {
    rmSync(entry, { recursive: true, force: true })
  }
})

test('SNP certificate tables round-trip', () => {
  const vcek = fixtures.snpVcek()
  const table = encodeSnpCertTable({ vcek, ark: new Uint8Array([1, 2, 3]) })
  const parsed = parseSnpCertTable(table)
  assert.deepEqual(parsed.vcek, vcek)
  assert.deepEqual(parsed.ark, new Uint8Array([1, 2, 3]))
  assert.equal(parsed.ask, undefined)
})

test('missing collateral or VCEK, and unknown providers, are clear errors', async () => {
  const unavailable = (e: unknown) => e instanceof VerityError && e.code === 'ATTESTATION_UNAVAILABLE'
  await assert.rejects(tsmReportToEvidence({ provider: 'tdx_guest', outblob: fixtures.tdxQuote(), auxblob: null, generation: 1 }), unavailable)
  await assert.rejects(tsmReportToEvidence({ provider: 'sev_guest', outblob: fixtures.snpReport(), auxblob: null, generation: 1 }), unavailable)
  await assert.rejects(tsmReportToEvidence({ provider: 'arm_cca', outblob: new Uint8Array(4), auxblob: null, generation: 1 }), unavailable)
  const tdx = await tsmReportToEvidence({ provider: 'tdx_guest', outblob: fixtures.tdxQuote(), auxblob: null, generation: 1 }, { collateral: async () => fixtures.tdxCollateral() })
  assert.equal(tdx.kind, 'tdx')
})

test('the Nitro provider explains what it needs, and runs a configured helper', async () => {
  await assert.rejects(nitroProvider().attest(bindingFor(ADDRESS)), (e: unknown) => e instanceof VerityError && /ioctl/.test(e.message))
  // A stand-in helper printing the recorded document proves the helper contract (argv in, base64 out).
  const doc = Buffer.from(fixtures.nitro()).toString('base64')
  const evidence = await nitroProvider({ helper: [process.execPath, '-e', `process.stdout.write(${JSON.stringify(doc)})`] }).attest(bindingFor(ADDRESS))
  assert.equal(verifyAttestation(evidence, { now: fixtures.nitroTime }).ok, true)
})

test('attestNode with the dev provider binds the node address', async () => {
  const provider = devProvider()
  assert.equal(provider.insecure, true)
  const evidence = await attestNode(provider, ADDRESS)
  const verified = verifyAttestation(evidence, { now: Date.now(), policy: { allowInsecureDev: true } })
  assert.equal(checkBinding(verified, ADDRESS).ok, true)
})
