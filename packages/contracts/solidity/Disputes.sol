// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {VerityReceipts} from "./VerityReceipts.sol";
import {NodeRegistry} from "./NodeRegistry.sol";

/// @title Disputes: the court that slashes nodes for lying in QUORUM mode.
/// @notice QUORUM requests are answered by several staked nodes, each signing a receipt; honest nodes
/// running the same model on the same input agree on the output hash. Anyone may prove a lie within
/// `challengeWindow` seconds of the contested receipt's timestamp:
///
///  1. Equivocation: two QUORUM receipts signed by ONE node for the same request (same requestId,
///     modelDigest and inputHash) with different output hashes. The node contradicted itself; it is
///     slashed. Nothing else is needed.
///  2. Outvoted: a QUORUM receipt contradicted by at least `quorumThreshold` receipts for the same
///     request from OTHER distinct nodes, all carrying one output hash that differs from it. The
///     minority signer is slashed. Every majority signer must be registered and never slashed.
///
/// Two conflicting receipts from two different nodes without a quorum prove nothing (either could be
/// right): no slashing. Trust assumption of rule 2: fewer than `quorumThreshold` staked nodes collude.
/// Which nodes were asked is not recorded on chain, so colluding nodes can outvote an honest receipt;
/// each majority signer must at least have been in good standing when it signed, and the threshold
/// must be set with the cost of `quorumThreshold` stakes in mind. Slashing takes the node's whole stake; NodeRegistry pays `challengerRewardBps`
/// of it to the challenger (msg.sender) and the rest to the treasury or burns it. A node is slashed at
/// most once, and its slashedAt time is recorded forever, so receipts it signed stop settling.
contract Disputes {
    using VerityReceipts for VerityReceipts.Receipt;

    bytes32 public constant REASON_EQUIVOCATION = keccak256("EQUIVOCATION");
    bytes32 public constant REASON_OUTVOTED = keccak256("OUTVOTED");

    NodeRegistry public immutable nodeRegistry;
    uint64 public immutable challengeWindow;
    uint32 public immutable quorumThreshold;

    event EquivocationProven(address indexed node, bytes32 indexed requestId, bytes32 digestA, bytes32 digestB, address challenger, uint256 slashed);
    event OutvotedProven(address indexed node, bytes32 indexed requestId, bytes32 digest, uint256 majority, address challenger, uint256 slashed);

    error NotQuorumMode(bytes32 digest, uint8 mode);
    error NotSameRequest();
    error SameOutput();
    error BadSignature(bytes32 digest);
    error WrongSigner(address recovered, address node);
    error DifferentSigners(address a, address b);
    error ChallengeWindowClosed(bytes32 digest, uint64 closedAt);
    error NotRegistered(address signer);
    error QuorumTooSmall(uint256 given, uint256 threshold);
    error DuplicateSigner(address signer);
    error MajorityDisagrees(bytes32 digest);
    error SignatureCountMismatch(uint256 receipts, uint256 signatures);
    error InvalidParameter(string name);

    constructor(NodeRegistry nodeRegistry_, uint64 challengeWindow_, uint32 quorumThreshold_) {
        if (quorumThreshold_ < 1) revert InvalidParameter("quorumThreshold");
        if (challengeWindow_ == 0 || challengeWindow_ > nodeRegistry_.unbondingDelay()) revert InvalidParameter("challengeWindow");
        nodeRegistry = nodeRegistry_;
        challengeWindow = challengeWindow_;
        quorumThreshold = quorumThreshold_;
    }

    function disputeEquivocation(
        VerityReceipts.Receipt calldata a,
        bytes calldata sigA,
        VerityReceipts.Receipt calldata b,
        bytes calldata sigB
    ) external returns (uint256 slashed) {
        bytes32 da = _signedQuorumReceipt(a, sigA);
        bytes32 db = _signedQuorumReceipt(b, sigB);
        if (a.node != b.node) revert DifferentSigners(a.node, b.node);
        _sameRequest(a, b);
        if (a.outputHash == b.outputHash) revert SameOutput();
        _inWindow(a.timestamp > b.timestamp ? da : db, a.timestamp > b.timestamp ? a.timestamp : b.timestamp);
        slashed = nodeRegistry.slash(a.node, msg.sender, REASON_EQUIVOCATION);
        emit EquivocationProven(a.node, a.requestId, da, db, msg.sender, slashed);
    }

    function disputeQuorum(
        VerityReceipts.Receipt calldata contested,
        bytes calldata contestedSig,
        VerityReceipts.Receipt[] calldata majority,
        bytes[] calldata majoritySigs
    ) external returns (uint256 slashed) {
        if (majority.length != majoritySigs.length) revert SignatureCountMismatch(majority.length, majoritySigs.length);
        if (majority.length < quorumThreshold) revert QuorumTooSmall(majority.length, quorumThreshold);
        bytes32 dc = _signedQuorumReceipt(contested, contestedSig);
        _inWindow(dc, contested.timestamp);
        bytes32 agreed = majority[0].outputHash;
        if (agreed == contested.outputHash) revert SameOutput();
        for (uint256 i = 0; i < majority.length; i++) {
            VerityReceipts.Receipt calldata m = majority[i];
            bytes32 dm = _signedQuorumReceipt(m, majoritySigs[i]);
            _sameRequest(contested, m);
            if (m.outputHash != agreed) revert MajorityDisagrees(dm);
            if (m.node == contested.node) revert DuplicateSigner(m.node);
            for (uint256 j = 0; j < i; j++) if (majority[j].node == m.node) revert DuplicateSigner(m.node);
            (,, uint64 slashedAt,) = nodeRegistry.timeline(m.node);
            if (slashedAt != 0 || !nodeRegistry.wasActiveAt(m.node, m.timestamp)) revert NotRegistered(m.node);
        }
        slashed = nodeRegistry.slash(contested.node, msg.sender, REASON_OUTVOTED);
        emit OutvotedProven(contested.node, contested.requestId, dc, majority.length, msg.sender, slashed);
    }

    /// @dev Checks mode and signature, and that the signer was registered when it signed.
    function _signedQuorumReceipt(VerityReceipts.Receipt calldata r, bytes calldata sig) private view returns (bytes32 d) {
        d = r.digest();
        if (r.mode != VerityReceipts.QUORUM) revert NotQuorumMode(d, r.mode);
        address signer = VerityReceipts.recover(d, sig);
        if (signer == address(0)) revert BadSignature(d);
        if (signer != r.node) revert WrongSigner(signer, r.node);
        (uint64 registeredAt,,,) = nodeRegistry.timeline(signer);
        if (registeredAt == 0) revert NotRegistered(signer);
    }

    function _sameRequest(VerityReceipts.Receipt calldata a, VerityReceipts.Receipt calldata b) private pure {
        if (a.requestId != b.requestId || a.modelDigest != b.modelDigest || a.inputHash != b.inputHash) revert NotSameRequest();
    }

    function _inWindow(bytes32 digest, uint64 timestamp) private view {
        uint256 closedAt = uint256(timestamp) + challengeWindow;
        if (block.timestamp > closedAt) revert ChallengeWindowClosed(digest, uint64(closedAt));
    }
}
