/**
 * @verity/tee — TEE attestation for Verity nodes. Verifiers for real AWS Nitro, AMD SEV-SNP and
 * Intel TDX/SGX (DCAP) evidence, the rule binding an attestation to a node's signing key, and the
 * node-side providers that obtain attestations on the machine.
 */
export * from './types.ts'
export { verifyAttestation, attestationDigest, normalizeEvidence, type VerifyAttestationParameters } from './verifyAttestation.ts'
export { verifyNitro, parseNitroDocument, encodeNitroDocument, nitroPayloadMap, type NitroDocument } from './nitro.ts'
export { verifySnp, parseSnpReport, SNP_REPORT_SIZE, type SnpReport, type SnpTcb } from './snp.ts'
export { verifyDcap } from './dcap.ts'
export { createDevAttester, verifyDev, DEV_NODE_MEASUREMENT, DEV_NODE_MEASUREMENT_HASH, type DevAttester, type DevAttesterOptions } from './dev.ts'
export { teeModeVerifier, atReceiptTime, verifiedAttestationToJson, type TeeModeVerifierOptions, type VerifiedAttestationJson } from './teeModeVerifier.ts'
export { BINDING_DOMAIN, bindingFor, bindingHex, checkBinding, type BindingOptions } from './binding.ts'
export {
  CONFIGFS_TSM_REPORT, detectTeeProviders, readTsmReport, tsmReportToEvidence, configfsTsmProvider, nitroProvider, devProvider, attestNode,
  parseSnpCertTable, encodeSnpCertTable,
  type TeeProvider, type TeeProviderName, type DetectedProvider, type TsmReport, type ConfigfsTsmProviderOptions, type NitroProviderOptions,
} from './providers.ts'
export {
  AWS_NITRO_ROOT_G1_PEM, AWS_NITRO_ROOT_G1_SHA256, AMD_ARK_MILAN_PEM, AMD_ARK_MILAN_SHA256, AMD_ASK_MILAN_PEM, AMD_ASK_MILAN_SHA256,
  AMD_ARK_GENOA_PEM, AMD_ARK_GENOA_SHA256, AMD_ASK_GENOA_PEM, AMD_ASK_GENOA_SHA256, INTEL_SGX_ROOT_CA_PEM, INTEL_SGX_ROOT_CA_SHA256,
} from './roots.ts'
export { measurementHashOf } from './_util.ts'
