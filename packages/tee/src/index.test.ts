import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as tee from './index.ts'

test('public API snapshot', () => {
  assert.deepEqual(Object.keys(tee).sort(), [
    'AMD_ARK_GENOA_PEM', 'AMD_ARK_GENOA_SHA256', 'AMD_ARK_MILAN_PEM', 'AMD_ARK_MILAN_SHA256', 'AMD_ASK_GENOA_PEM', 'AMD_ASK_GENOA_SHA256', 'AMD_ASK_MILAN_PEM', 'AMD_ASK_MILAN_SHA256', 'AWS_NITRO_ROOT_G1_PEM', 'AWS_NITRO_ROOT_G1_SHA256',
    'BINDING_DOMAIN', 'CONFIGFS_TSM_REPORT', 'DEV_NODE_MEASUREMENT', 'DEV_NODE_MEASUREMENT_HASH', 'INTEL_SGX_ROOT_CA_PEM', 'INTEL_SGX_ROOT_CA_SHA256', 'SNP_REPORT_SIZE', 'atReceiptTime', 'attestNode', 'attestationDigest',
    'attestationKinds', 'bindingFor', 'bindingHex', 'checkBinding', 'configfsTsmProvider', 'createDevAttester', 'detectTeeProviders', 'devProvider',
    'encodeNitroDocument', 'encodeSnpCertTable', 'measurementHashOf', 'nitroPayloadMap', 'nitroProvider', 'normalizeEvidence', 'parseNitroDocument',
    'parseSnpCertTable', 'parseSnpReport', 'readTsmReport', 'teeModeVerifier', 'tsmReportToEvidence', 'verifiedAttestationToJson', 'verifyAttestation', 'verifyDcap', 'verifyDev', 'verifyNitro', 'verifySnp',
  ])
})
