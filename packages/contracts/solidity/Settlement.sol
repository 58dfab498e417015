// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {VerityReceipts} from "./VerityReceipts.sol";
import {NodeRegistry} from "./NodeRegistry.sol";
import {ModelRegistry} from "./ModelRegistry.sol";

/// @title Settlement: which receipts are final.
/// @notice Two ways to settle:
///  - one receipt, with its EIP-712 signature checked here (the signer must be `receipt.node`, a node
///    never slashed and in good standing at the receipt's timestamp: registered, not yet left);
///  - a batch, as the Merkle root over receipt leaves (packages/protocol/src/merkle.ts), posted by the
///    node that signed them, with the number of receipts. Inclusion is checked with `verifyInclusion`.
/// A receipt digest settles once; a root posts once. (A receipt settled alone may also sit in a
/// batch root: roots are opaque here, so that is the poster's concern.)
///
/// ZKML receipts can also settle with their Groth16 proof checked on chain by the verifier the
/// model's release registered (snarkjs interface, any number of public signals). The receipt's
/// proofHash must equal `zkProofHash(proof)` = keccak256(abi.encode(a, b, c, publicSignals)).
contract Settlement {
    using VerityReceipts for VerityReceipts.Receipt;

    struct Groth16Proof {
        uint256[2] a;
        uint256[2][2] b;
        uint256[2] c;
        uint256[] publicSignals;
    }

    struct Settled {
        uint64 settledAt;
        address node;
        bool zkVerified;
    }

    struct Batch {
        address node;
        uint64 postedAt;
        uint32 count;
    }

    /// @notice How far in the future a receipt timestamp may be (clock skew between node and chain).
    uint64 public constant MAX_FUTURE_SKEW = 300;

    NodeRegistry public immutable nodeRegistry;
    ModelRegistry public immutable modelRegistry;

    mapping(bytes32 digest => Settled) public settled;
    mapping(bytes32 root => Batch) public batches;

    event ReceiptSettled(bytes32 indexed digest, address indexed node, bytes32 indexed requestId, uint8 mode, bool zkVerified);
    event BatchSettled(bytes32 indexed root, address indexed node, uint32 count);

    error AlreadySettled(bytes32 digest);
    error BadSignature(bytes32 digest);
    error WrongSigner(address recovered, address node);
    error SignerNotRegistered(address signer, uint64 timestamp);
    error TimestampInFuture(uint64 timestamp, uint64 blockTime);
    error RootAlreadyPosted(bytes32 root);
    error EmptyBatch();
    error NotARegisteredNode(address caller);
    error NotZkml(uint8 mode);
    error NoVerifier(bytes32 modelDigest);
    error ProofHashMismatch(bytes32 expected, bytes32 actual);
    error ProofInvalid(bytes32 digest);

    constructor(NodeRegistry nodeRegistry_, ModelRegistry modelRegistry_) {
        nodeRegistry = nodeRegistry_;
        modelRegistry = modelRegistry_;
    }

    // ----------------------------------------------------------------------------- settlement

    function settleReceipt(VerityReceipts.Receipt calldata receipt, bytes calldata signature) external returns (bytes32 digest) {
        digest = checkReceipt(receipt, signature);
        _settle(digest, receipt, false);
    }

    /// @notice Settles a ZKML receipt after checking its proof with the model's registered verifier.
    function settleZkReceipt(VerityReceipts.Receipt calldata receipt, bytes calldata signature, Groth16Proof calldata proof)
        external
        returns (bytes32 digest)
    {
        digest = checkReceipt(receipt, signature);
        if (!_verifyZk(receipt, proof)) revert ProofInvalid(digest);
        _settle(digest, receipt, true);
    }

    function settleBatch(bytes32 root, uint32 count) external {
        if (count == 0) revert EmptyBatch();
        if (batches[root].postedAt != 0) revert RootAlreadyPosted(root);
        if (!nodeRegistry.isInGoodStanding(msg.sender)) revert NotARegisteredNode(msg.sender);
        batches[root] = Batch(msg.sender, uint64(block.timestamp), count);
        emit BatchSettled(root, msg.sender, count);
    }

    // ----------------------------------------------------------------------------- views

    /// @notice Checks a receipt and its signature against the registry; reverts with the reason when
    /// it would not settle (ignoring whether it already has). Returns its digest.
    function checkReceipt(VerityReceipts.Receipt calldata receipt, bytes calldata signature) public view returns (bytes32 digest) {
        digest = receipt.digest();
        address signer = VerityReceipts.recover(digest, signature);
        if (signer == address(0)) revert BadSignature(digest);
        if (signer != receipt.node) revert WrongSigner(signer, receipt.node);
        if (receipt.timestamp > block.timestamp + MAX_FUTURE_SKEW) revert TimestampInFuture(receipt.timestamp, uint64(block.timestamp));
        (, , uint64 slashedAt,) = nodeRegistry.timeline(signer);
        // A slashed node's receipts never settle again (its own timestamps could be backdated); a node
        // that left gracefully keeps the receipts it signed while it served.
        if (slashedAt != 0 || !nodeRegistry.wasActiveAt(signer, receipt.timestamp)) {
            revert SignerNotRegistered(signer, receipt.timestamp);
        }
    }

    function isReceiptSettled(bytes32 digest) external view returns (bool) {
        return settled[digest].settledAt != 0;
    }

    function isRootPosted(bytes32 root) external view returns (bool) {
        return batches[root].postedAt != 0;
    }

    /// @notice True when `root` was posted and `proof` leads from the receipt's leaf to it.
    function verifyInclusion(bytes32 digest, bytes32[] calldata proof, bytes32 root) external view returns (bool) {
        return batches[root].postedAt != 0 && MerkleProof.verifyCalldata(proof, root, VerityReceipts.leaf(digest));
    }

    function receiptDigest(VerityReceipts.Receipt calldata receipt) external view returns (bytes32) {
        return receipt.digest();
    }

    function domainSeparator() external view returns (bytes32) {
        return VerityReceipts.domainSeparator();
    }

    function receiptTypeHash() external pure returns (bytes32) {
        return VerityReceipts.RECEIPT_TYPEHASH;
    }

    /// @return signer the recovered address, zero for a malformed or high-s signature.
    function recoverReceiptSigner(VerityReceipts.Receipt calldata receipt, bytes calldata signature) external view returns (address) {
        return VerityReceipts.recover(receipt.digest(), signature);
    }

    function merkleLeaf(bytes32 digest) external pure returns (bytes32) {
        return VerityReceipts.leaf(digest);
    }

    function zkProofHash(Groth16Proof calldata proof) public pure returns (bytes32) {
        return keccak256(abi.encode(proof.a, proof.b, proof.c, proof.publicSignals));
    }

    /// @notice Checks a ZKML receipt's proof with the Groth16 verifier registered for its model.
    /// Reverts when the receipt is not ZKML, has no verifier or the proof hash differs; returns the
    /// verifier's answer otherwise. Does not check the signature (see checkReceipt).
    function verifyZkReceipt(VerityReceipts.Receipt calldata receipt, Groth16Proof calldata proof) external view returns (bool) {
        return _verifyZk(receipt, proof);
    }

    // ----------------------------------------------------------------------------- internals

    function _settle(bytes32 digest, VerityReceipts.Receipt calldata receipt, bool zkVerified) private {
        if (settled[digest].settledAt != 0) revert AlreadySettled(digest);
        settled[digest] = Settled(uint64(block.timestamp), receipt.node, zkVerified);
        emit ReceiptSettled(digest, receipt.node, receipt.requestId, receipt.mode, zkVerified);
    }

    function _verifyZk(VerityReceipts.Receipt calldata receipt, Groth16Proof calldata proof) private view returns (bool) {
        if (receipt.mode != VerityReceipts.ZKML) revert NotZkml(receipt.mode);
        (address verifier,) = modelRegistry.verifierOf(receipt.modelDigest);
        if (verifier == address(0)) revert NoVerifier(receipt.modelDigest);
        bytes32 h = zkProofHash(proof);
        if (h != receipt.proofHash) revert ProofHashMismatch(receipt.proofHash, h);
        return callGroth16Verifier(verifier, proof);
    }

    /// @notice Calls snarkjs' `verifyProof(uint[2],uint[2][2],uint[2],uint[N])` for N = number of public
    /// signals. Static arrays encode inline, so the calldata is the selector for this N followed by
    /// every number as a 32-byte word. A verifier built for another N has no such function and fails.
    function callGroth16Verifier(address verifier, Groth16Proof calldata proof) public view returns (bool) {
        bytes4 selector = bytes4(
            keccak256(
                bytes(
                    string.concat(
                        "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[",
                        Strings.toString(proof.publicSignals.length),
                        "])"
                    )
                )
            )
        );
        (bool ok, bytes memory ret) =
            verifier.staticcall(abi.encodePacked(selector, proof.a, proof.b, proof.c, proof.publicSignals));
        return ok && ret.length == 32 && abi.decode(ret, (uint256)) == 1;
    }
}
