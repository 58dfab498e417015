/** Test-only contracts: a stub snarkjs Groth16 verifier (3 public signals) and a re-entrant operator. */
export { StubGroth16Verifier, ReentrantOperator } from './artifacts.ts'
