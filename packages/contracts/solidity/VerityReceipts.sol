// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title Verity receipts: EIP-712 hashing, signer recovery and Merkle leaves.
/// @notice Must equal packages/protocol/src/receipt.ts and merkle.ts byte for byte:
///   domain  = EIP712Domain(string name,string version,uint256 chainId), name "Verity", version "1",
///             chainId = block.chainid, no verifyingContract (one signature is valid for every Verity
///             contract on the chain, and for off-chain checkers that know only the chain id).
///   digest  = keccak256(0x1901 || domainSeparator || hashStruct(receipt))
///   leaf    = keccak256(keccak256(abi.encode(bytes32 digest)))   (OpenZeppelin MerkleProof style)
/// Signatures are r || s || v with v in {27, 28}; high-s signatures are rejected (EIP-2), through
/// OpenZeppelin's ECDSA.tryRecover.
library VerityReceipts {
    struct Receipt {
        bytes32 requestId;
        bytes32 modelDigest;
        bytes32 inputHash;
        bytes32 outputHash;
        uint8 mode;
        bytes32 proofHash;
        address node;
        uint64 timestamp;
    }

    uint8 internal constant VANILLA = 0;
    uint8 internal constant ZKML = 1;
    uint8 internal constant TEE = 2;
    uint8 internal constant QUORUM = 3;

    bytes32 internal constant RECEIPT_TYPEHASH = keccak256(
        "Receipt(bytes32 requestId,bytes32 modelDigest,bytes32 inputHash,bytes32 outputHash,uint8 mode,bytes32 proofHash,address node,uint64 timestamp)"
    );
    bytes32 internal constant DOMAIN_TYPEHASH = keccak256("EIP712Domain(string name,string version,uint256 chainId)");
    bytes32 internal constant NAME_HASH = keccak256("Verity");
    bytes32 internal constant VERSION_HASH = keccak256("1");

    function domainSeparator() internal view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid));
    }

    function structHash(Receipt calldata r) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                RECEIPT_TYPEHASH, r.requestId, r.modelDigest, r.inputHash, r.outputHash, r.mode, r.proofHash, r.node, r.timestamp
            )
        );
    }

    function digest(Receipt calldata r) internal view returns (bytes32 d) {
        bytes32 separator = domainSeparator();
        bytes32 s = structHash(r);
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, hex"1901")
            mstore(add(ptr, 0x02), separator)
            mstore(add(ptr, 0x22), s)
            d := keccak256(ptr, 0x42)
        }
    }

    /// @return signer the recovered address, or address(0) when the signature is malformed, has
    ///         high s, or has v outside {27, 28}.
    function recover(bytes32 d, bytes calldata signature) internal pure returns (address signer) {
        if (signature.length != 65) return address(0);
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(d, signature);
        return err == ECDSA.RecoverError.NoError ? recovered : address(0);
    }

    function leaf(bytes32 receiptDigest) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(receiptDigest))));
    }
}
