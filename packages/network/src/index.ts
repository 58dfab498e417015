/**
 * @verity/network — a local Verity network for development and tests: anvil with the contracts, and N
 * staked nodes as separate processes. `verity up` runs `startLocalNetwork`.
 */
export { startLocalNetwork, networkFileOf, ANVIL_DEV_KEY, type StartLocalNetworkParameters, type LocalNetwork, type NetworkNode } from './local.ts'
export { readNetworkFile, writeNetworkFile, type NetworkFile } from './networkFile.ts'
export type { NodeProcessSpec, NodeReady } from './nodeProcess.ts'
export { startAttestationVerifier, type AttestationVerifier, type AttestationVerifierOptions, type AttestationVerdict } from './attestationVerifier.ts'
