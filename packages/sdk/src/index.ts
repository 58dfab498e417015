/** @verity/sdk — talk to Verity nodes; every result is verified before you see it. */
export { createClient, verifyReceipt, withJsonTensors, type ClientOptions, type VerityClient, type VerifiedResult, type InferParameters, type Progress } from './client.ts'
export { NodeRequestError, ConnectionError, TimeoutError, VerificationError } from './errors.ts'
export { verifyInferenceResult, type InferenceResult, type CheckOutcome } from '@verity/protocol'
export { createMemoryClient, type MemoryClient, type MemoryClientOptions, type MemoryJson, type MemoryMessage } from './memory.ts'
export { checkZkml, modeVerifierOf, type ZkModeCheck, type ZkSetupJson, type ZkmlProof } from './zk.ts'
export { teeVerifier, type TeeOptions, type NodeAttestationJson } from './tee.ts'
export {
  createLlmClient, verifyLlmResult, attestationChecks,
  type LlmClient, type LlmClientOptions, type VerifyLlmOptions, type VerifiedLlmResult, type VerifiedLlmEvent, type ChatParameters, type CompleteParameters, type LlmNetwork,
} from './chat.ts'
