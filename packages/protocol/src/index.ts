/**
 * @verity/protocol — the floor every other Verity package stands on. Canonical encodings are
 * specified in the module that implements them: tensor.ts (VTS1 tensor sets), binaryMessage.ts (VRB1), canonicalJson.ts
 * (RFC 8785), cid.ts (model identity), receipt.ts (EIP-712 receipts), merkle.ts (settlement trees).
 */
export { bytesToHex, hexToBytes, concatBytes, equalBytes, isBytes32, utf8, type Hex } from './bytes.ts'
export { canonicalJson } from './canonicalJson.ts'
export { cidForBytes, cidFromSha256, cidDigest, cidFromDigest, parseCid, isCid } from './cid.ts'
export { errorCatalogue, VerityError, isErrorCode, type ErrorCode, type VerityErrorOptions } from './errors.ts'
export { toChecksumAddress, isAddress, sameAddress, publicKeyToAddress, privateKeyToAddress, generatePrivateKey, type Address } from './address.ts'
export {
  dtypes, dtypeCode, isDType, elementCount, flattenNested, tensorFromValues, tensorFromJson, tensorToJson, tensorMapToJson, tensorMapFromJson,
  encodeTensorSet, decodeTensorSet, hashTensorSet, type DType, type Tensor, type TensorMap, type TensorJson, type TensorMapJson, type TensorEncoding,
} from './tensor.ts'
export {
  modes, modeCode, ZERO_HASH, receiptDomainName, receiptDomainVersion, receiptTypeString, receiptTypes, receiptDomain, receiptTypeHash,
  domainSeparator, assertReceipt, receiptStructHash, receiptDigest, signReceipt, signReceiptDigest, recoverReceiptSigner, normalizeReceipt, type Mode, type Receipt,
} from './receipt.ts'
export { createReceiptSigner, type ReceiptSigner } from './presign.ts'
export { BINARY_MESSAGE_MEDIA_TYPE, encodeBinaryMessage, decodeBinaryMessage, type BinaryMessage } from './binaryMessage.ts'
export { merkleLeaf, merkleRoot, merkleProof, verifyMerkleProof } from './merkle.ts'
export { parseRepoName, parseRelease, formatRelease, parseModelRef, type RepoName, type Release, type ModelRef } from './names.ts'
export {
  verifyInferenceResult, type InferenceResult, type CheckId, type CheckOutcome, type VerifyResultOptions, type VerifyResultReturnType,
} from './result.ts'
export type {
  Dim, TensorSpecJson, IoSchema, HealthResponse, RepositoryJson, FileJson, ReleaseJson, ModelCardJson, SearchResponse, InferRequest, BinaryInferenceResult, StoredReceipt,
  NetworkNodeJson, NetworkResponse, StatsBucketJson, StatsResponse,
  NodeNetworkStatus, InclusionResponse,
  LlmSettlementMode, LlmRequestOptions, LlmSettlementJson, AttestationRefJson, LlmVerity, LlmResultJson,
} from './api.ts'
export { quorumModeVerifier, type QuorumVote, type QuorumProof } from './quorum.ts'
