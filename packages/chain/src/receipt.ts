/** Receipts and proofs in the shapes the contracts take. */
import { encodeAbiParameters, keccak256, type Hex } from 'viem'
import { modeCode, type Receipt } from '@verity/protocol'

/** The Solidity `VerityReceipts.Receipt` struct (no chainId: the contract uses block.chainid). */
export type ContractReceipt = {
  requestId: Hex
  modelDigest: Hex
  inputHash: Hex
  outputHash: Hex
  mode: number
  proofHash: Hex
  node: Hex
  timestamp: bigint
}

export function toContractReceipt(receipt: Receipt): ContractReceipt {
  return {
    requestId: receipt.requestId, modelDigest: receipt.modelDigest, inputHash: receipt.inputHash, outputHash: receipt.outputHash,
    mode: modeCode[receipt.mode], proofHash: receipt.proofHash, node: receipt.node, timestamp: BigInt(receipt.timestamp),
  }
}

/** A Groth16 proof as snarkjs' Solidity calldata gives it (b with its coordinates already swapped). */
export type Groth16Proof = {
  a: readonly [bigint, bigint]
  b: readonly [readonly [bigint, bigint], readonly [bigint, bigint]]
  c: readonly [bigint, bigint]
  publicSignals: readonly bigint[]
}

/**
 * The proofHash a ZKML receipt carries: keccak256(abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c,
 * uint256[] publicSignals)), equal to Settlement.zkProofHash.
 */
export function zkProofHash(proof: Groth16Proof): Hex {
  return keccak256(encodeAbiParameters(
    [{ type: 'uint256[2]' }, { type: 'uint256[2][2]' }, { type: 'uint256[2]' }, { type: 'uint256[]' }],
    [proof.a, proof.b, proof.c, proof.publicSignals],
  ))
}

/** A receipt with its signature, as disputes take them. */
export type SignedReceipt = { receipt: Receipt; signature: Hex }
