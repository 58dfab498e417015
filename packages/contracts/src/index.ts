/**
 * @verity/contracts — Verity's Solidity contracts, compiled: ABIs (typed `as const` for viem) and
 * creation bytecode. Sources live in packages/contracts/solidity; `node packages/contracts/scripts/compile.ts`
 * regenerates src/artifacts.ts (a test fails when the committed artifacts drift from the sources).
 *
 *  - NodeRegistry: staked nodes, signing keys, heartbeats, unbonding, TEE measurements, slashing hook.
 *  - ModelRegistry: repository releases -> file digests, ZK verification key hash and verifier.
 *  - Settlement: single receipts (EIP-712 signature checked on chain), Merkle batches, ZKML proofs.
 *  - Disputes: equivocation and quorum disputes that slash lying nodes.
 */
export { NodeRegistry, ModelRegistry, Settlement, Disputes } from './artifacts.ts'
