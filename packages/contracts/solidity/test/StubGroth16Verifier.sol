// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Test stand-in for a snarkjs Groth16 verifier with 3 public signals. It "verifies" a proof
/// when a[0] equals the sum of the public signals, and it has exactly snarkjs' function signature,
/// so Settlement's dynamic-N call path is exercised for real.
contract StubGroth16Verifier {
    function verifyProof(uint256[2] calldata _pA, uint256[2][2] calldata, uint256[2] calldata, uint256[3] calldata _pubSignals)
        public
        pure
        returns (bool)
    {
        return _pA[0] == _pubSignals[0] + _pubSignals[1] + _pubSignals[2];
    }
}
