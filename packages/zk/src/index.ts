/**
 * @verity/zk — ZKML for Verity: compile a quantized ONNX model to a BN254 R1CS circuit (weights are
 * circuit constants, the input is bound by a Poseidon hash, outputs are public), run an open Groth16
 * ceremony, prove inferences with snarkjs, and verify them offline or with a Solidity contract.
 * The browser-safe verification path is in verify.ts (also exported as `@verity/zk/verify`).
 */
export { compileModel, executePlan, dequantizeOutputs, powerFor, estimateConstraints, type CompileModelParameters, type CompileProgress, type ZkCircuit, type Agreement } from './compile.ts'
export { parseGraph, supportedOperators, type FGraph, type FOp } from './graph.ts'
export { buildPlan, calibrate, quantizeInput, type Plan, type QOp, type LayerReport } from './plan.ts'
export { zkmlCircuit, publicSignalCount, modelTagFromDigest } from './circuit.ts'
export { BuildCs, WitnessCs, firstViolatedConstraint, type Cs, type Lc, type R1cs } from './cs.ts'
export { writeR1cs, writeWtns } from './formats.ts'
export { hashInputBytes, packBytes } from './inputHash.ts'
export { runCeremony, loadPtau, preparePhase2ForPowers, setupCircuit, releaseZkResources, type Contributor, type Beacon, type CeremonyTranscript, type Phase2Transcript, type RunCeremonyParameters, type SetupProgress } from './setup.ts'
export { createArtifacts, loadArtifacts, readPlan, exportSolidityVerifier, type ZkArtifacts, type ZkManifest, type CreateArtifactsParameters } from './artifacts.ts'
export { createProver, proveInProcess, type Prover, type ZkProveResult } from './prove.ts'
export { verifyZkResult, verifyZkInferenceResult, zkProofHash, vkHash, modelTagForCid, quantizeInputValues, type ZkResultProof, type ZkVerifierKey, type ZkCheck, type ZkCheckId, type Groth16Proof, type VerifyZkResultParameters } from './verify.ts'
export { checkSetupPolicy, type SetupPolicy } from './policy.ts'
export { P as FIELD_MODULUS } from './field.ts'
export { compileSolidityVerifier, verifyProofCalldata, startAnvil, type LocalChain } from './evm.ts'
export { hashOutputValues } from './inputHash.ts'
