/**
 * @verity/chain — Verity on an EVM chain through viem: start a local anvil, deploy the contracts, and
 * typed actions (client first, one parameters object) for nodes, models, settlement and disputes.
 * Contract reverts come back as VerityError with the broken rule in plain words.
 */
export { startAnvil, anvilBinaryPath, freePort, type StartAnvilParameters, type StartAnvilReturnType } from './anvil.ts'
export {
  createVerityClient, createVerityWallet, readLogsInWindows, verityChain, type VerityClient, type VerityWalletClient, type CreateVerityClientParameters, type WriteResult,
} from './client.ts'
export {
  deployVerity, saveDeployment, loadDeployment, defaultVerityParameters, type VerityDeployment, type VerityParameters, type DeployVerityParameters,
} from './deploy.ts'
export { toVerityError, decodeVerityRevert, revertMessages } from './errors.ts'
export { toContractReceipt, zkProofHash, type ContractReceipt, type Groth16Proof, type SignedReceipt } from './receipt.ts'
export {
  registerNode, heartbeat, setNodeEndpoint, addStake, leaveNode, withdrawStake, claimRewards, getClaimable, getNode, getActiveNodes, isNodeActive,
  wasActiveAt, allowMeasurement, revokeMeasurement, isMeasurementAllowed, recordAttestation, getAttestation, grantRole, revokeRole, roleId,
  setRegistryParameters, listNodes, getMeasurementStatus, getAttestationRecords,
  type NodeInfo, type RegisterNodeParameters, type AttestationInfo, type VerityRole, type MeasurementStatus, type AttestationRecord,
} from './actions/nodes.ts'
export {
  createRepository, transferRepository, getRepositoryOwner, publishRelease, getRelease, getReleaseByDigest, listReleases,
  type ReleaseInfo, type PublishReleaseParameters,
} from './actions/models.ts'
export {
  settleReceipt, settleZkReceipt, verifyZkReceipt, checkReceipt, settleBatch, isReceiptSettled, getSettledReceipt, getBatch, verifyInclusion,
  getSettledReceiptEvents, type SettledReceiptInfo, type BatchInfo,
} from './actions/settlement.ts'
export { openEquivocationDispute, openQuorumDispute } from './actions/disputes.ts'
