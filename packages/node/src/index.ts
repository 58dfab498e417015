/**
 * @verity/node — the Verity node daemon: composes the hub, the ONNX runtime and the receipt store
 * behind an HTTP API (OpenAPI at /openapi.json). `startNode()` is what `verity up` runs.
 */
export { startNode, hubPort, ioSchema, NODE_VERSION, type StartNodeParameters, type RunningNode } from './server.ts'
export { buildApp, type BuildAppParameters } from './app.ts'
export { resolveConfig, readConfigFile, type NodeConfig } from './config.ts'
export { loadOrCreateNodeKey, type NodeKey } from './key.ts'
export { runInference, type InferencePorts } from './inference.ts'
export { createReceiptStore, receiptMigrations, type ReceiptStore } from './receipts.ts'
export type { HubPort, InferencePort } from './ports.ts'
export { explorerPlugin, isClientRoute, defaultExplorerDir } from './explorer.ts'
export { networkRoutes, mergeNetwork } from './network.ts'
export { statsRoutes, statsTotals } from './stats.ts'
export type { StatsPort, NetworkPort } from './ports.ts'
export { startNetworkAgent, createSettlementQueue, settlementMigrations, faultFromEnv, createPeerFetcher, type NetworkAgent, type NodeNetworkOptions, type SettlementQueue, type SettleReturnType, type Fault } from './network/index.ts'
export {
  startNodeAttestation, registerAttestationRoutes, parseTeeSetting, nodeTeeSettings, DEV_TEE_MEASUREMENT, DEV_TEE_MEASUREMENT_HASH,
  type NodeAttestation, type NodeAttestor, type NodeTeeSetting, type AttestationResponse, type StartNodeAttestationParameters,
} from './attestation.ts'
export { registerLlmRoutes, resolveLlmProviders, llmKeyEnv, createNodeLlmGateway, type LlmRoutesParameters, type LlmAttestation } from './llm.ts'
