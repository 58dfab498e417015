// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @title NodeRegistry: who may serve Verity inference, under which signing key and stake.
/// @notice A node is identified by its receipt-signing address (`signer`); an `operator` account owns
/// the stake and manages the node. One signer has one lifetime: registered once, then it may leave
/// or be slashed, and can never register again (use a fresh key). That keeps the history exact:
/// a signer was in good standing at time T iff registeredAt <= T < leftAt/slashedAt and its TEE
/// measurement (if any) was not revoked by T. Heartbeat freshness only matters for "active now".
///
/// Stake is native ETH. Leaving starts an unbonding delay (which deployers keep longer than the
/// dispute challenge window) during which the stake can still be slashed; then the operator
/// withdraws. Slashing is only possible from the Disputes contract bound once by the admin.
/// Slashed stake is split: `challengerRewardBps` to the challenger, the rest to the treasury (or
/// burned, i.e. locked here forever, when the treasury is address(0)). Payouts are pulled (`claim`).
contract NodeRegistry is AccessControl, ReentrancyGuard {
    bytes32 public constant GOVERNANCE_ROLE = keccak256("GOVERNANCE_ROLE");
    bytes32 public constant VERIFIER_ROLE = keccak256("VERIFIER_ROLE");
    bytes32 public constant REGISTRATION_TYPEHASH =
        keccak256("VerityNodeRegistration(uint256 chainId,address registry,address operator,address signer)");

    struct Node {
        address operator;
        uint64 registeredAt;
        uint64 lastHeartbeat;
        uint64 leftAt;
        uint64 slashedAt;
        uint256 stake;
        bytes32 measurement;
        string endpoint;
    }

    struct Attestation {
        bytes32 measurement;
        bytes32 reportHash;
        uint64 verifiedAt;
        bool valid;
    }

    /// @dev 0 unknown, 1 allowed, 2 revoked (revocation is final: history must not change).
    struct MeasurementStatus {
        uint64 allowedAt;
        uint64 revokedAt;
    }

    struct NodeView {
        address signer;
        address operator;
        string endpoint;
        uint256 stake;
        uint64 registeredAt;
        uint64 lastHeartbeat;
        uint64 leftAt;
        uint64 slashedAt;
        bytes32 measurement;
        bool active;
    }

    uint256 public minStake;
    uint64 public heartbeatWindow;
    uint64 public immutable unbondingDelay;
    uint16 public immutable challengerRewardBps;
    address public immutable treasury;
    address public disputes;
    uint256 public totalBurned;

    mapping(address signer => Node) private nodes;
    address[] private signers;
    mapping(bytes32 measurement => MeasurementStatus) public measurements;
    mapping(address signer => Attestation) public attestations;
    mapping(address account => uint256) public claimable;

    event NodeRegistered(address indexed signer, address indexed operator, uint256 stake, string endpoint, bytes32 measurement);
    event Heartbeat(address indexed signer, uint64 at);
    event EndpointChanged(address indexed signer, string endpoint);
    event StakeAdded(address indexed signer, uint256 amount, uint256 stake);
    event NodeLeft(address indexed signer, uint64 at, uint64 withdrawableAt);
    event StakeWithdrawn(address indexed signer, address indexed operator, uint256 amount);
    event NodeSlashed(address indexed signer, address indexed challenger, uint256 amount, uint256 reward, bytes32 reason);
    event MeasurementAllowed(bytes32 indexed measurement);
    event MeasurementRevoked(bytes32 indexed measurement);
    event AttestationRecorded(address indexed signer, bytes32 measurement, bytes32 reportHash, bool valid);
    event Claimed(address indexed account, uint256 amount);
    event DisputesBound(address disputes);
    event ParametersChanged(uint256 minStake, uint64 heartbeatWindow);

    error InsufficientStake(uint256 sent, uint256 minimum);
    error SignerAlreadyUsed(address signer);
    error SignerConsentInvalid(address signer);
    error EmptyEndpoint();
    error MeasurementNotAllowed(bytes32 measurement);
    error UnknownNode(address signer);
    error NotOperator(address caller, address signer);
    error NodeHasLeft(address signer);
    error NodeIsSlashed(address signer);
    error NodeNotLeaving(address signer);
    error StillUnbonding(address signer, uint64 withdrawableAt);
    error NothingToWithdraw(address signer);
    error NotDisputes(address caller);
    error DisputesAlreadyBound(address disputes);
    error TransferFailed(address to, uint256 amount);
    error NothingToClaim(address account);
    error InvalidParameter(string name);

    constructor(
        address admin,
        uint256 minStake_,
        uint64 heartbeatWindow_,
        uint64 unbondingDelay_,
        uint16 challengerRewardBps_,
        address treasury_
    ) {
        if (admin == address(0)) revert InvalidParameter("admin");
        if (heartbeatWindow_ == 0) revert InvalidParameter("heartbeatWindow");
        if (challengerRewardBps_ > 10_000) revert InvalidParameter("challengerRewardBps");
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GOVERNANCE_ROLE, admin);
        minStake = minStake_;
        heartbeatWindow = heartbeatWindow_;
        unbondingDelay = unbondingDelay_;
        challengerRewardBps = challengerRewardBps_;
        treasury = treasury_;
    }

    // ----------------------------------------------------------------------------- node lifecycle

    /// @notice Registers `signer` with msg.value as stake. When the signer is not the caller, the
    /// signer proves consent with an EIP-191 signature over `registrationHash(msg.sender, signer)`,
    /// so nobody can squat on another node's key.
    function register(address signer, string calldata endpoint, bytes32 measurement, bytes calldata signerConsent)
        external
        payable
    {
        if (msg.value < minStake || msg.value == 0) revert InsufficientStake(msg.value, minStake);
        if (signer == address(0) || nodes[signer].registeredAt != 0) revert SignerAlreadyUsed(signer);
        if (bytes(endpoint).length == 0) revert EmptyEndpoint();
        if (signer != msg.sender) {
            bytes32 h = MessageHashUtils.toEthSignedMessageHash(registrationHash(msg.sender, signer));
            (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(h, signerConsent);
            if (err != ECDSA.RecoverError.NoError || recovered != signer) revert SignerConsentInvalid(signer);
        }
        if (measurement != bytes32(0) && !isMeasurementAllowed(measurement)) revert MeasurementNotAllowed(measurement);
        uint64 nowTs = uint64(block.timestamp);
        Node storage n = nodes[signer];
        n.operator = msg.sender;
        n.registeredAt = nowTs;
        n.lastHeartbeat = nowTs;
        n.stake = msg.value;
        n.measurement = measurement;
        n.endpoint = endpoint;
        signers.push(signer);
        emit NodeRegistered(signer, msg.sender, msg.value, endpoint, measurement);
    }

    /// @notice The hash a signer signs (EIP-191 personal message) to consent to `operator` registering it.
    function registrationHash(address operator, address signer) public view returns (bytes32) {
        return keccak256(abi.encode(REGISTRATION_TYPEHASH, block.chainid, address(this), operator, signer));
    }

    function heartbeat(address signer) external {
        Node storage n = _live(signer);
        if (msg.sender != n.operator && msg.sender != signer) revert NotOperator(msg.sender, signer);
        n.lastHeartbeat = uint64(block.timestamp);
        emit Heartbeat(signer, uint64(block.timestamp));
    }

    function setEndpoint(address signer, string calldata endpoint) external {
        Node storage n = _live(signer);
        if (msg.sender != n.operator) revert NotOperator(msg.sender, signer);
        if (bytes(endpoint).length == 0) revert EmptyEndpoint();
        n.endpoint = endpoint;
        emit EndpointChanged(signer, endpoint);
    }

    function addStake(address signer) external payable {
        Node storage n = _live(signer);
        if (msg.sender != n.operator) revert NotOperator(msg.sender, signer);
        if (msg.value == 0) revert InsufficientStake(0, 1);
        n.stake += msg.value;
        emit StakeAdded(signer, msg.value, n.stake);
    }

    /// @notice Stops serving now; the stake unbonds for `unbondingDelay` (still slashable).
    function leave(address signer) external {
        Node storage n = _live(signer);
        if (msg.sender != n.operator) revert NotOperator(msg.sender, signer);
        n.leftAt = uint64(block.timestamp);
        emit NodeLeft(signer, n.leftAt, n.leftAt + unbondingDelay);
    }

    function withdrawStake(address signer) external nonReentrant {
        Node storage n = nodes[signer];
        if (n.registeredAt == 0) revert UnknownNode(signer);
        if (msg.sender != n.operator) revert NotOperator(msg.sender, signer);
        if (n.slashedAt != 0) revert NodeIsSlashed(signer);
        if (n.leftAt == 0) revert NodeNotLeaving(signer);
        uint64 withdrawableAt = n.leftAt + unbondingDelay;
        if (block.timestamp < withdrawableAt) revert StillUnbonding(signer, withdrawableAt);
        uint256 amount = n.stake;
        if (amount == 0) revert NothingToWithdraw(signer);
        n.stake = 0;
        emit StakeWithdrawn(signer, msg.sender, amount);
        _send(msg.sender, amount);
    }

    // ----------------------------------------------------------------------------- slashing

    /// @notice Binds the Disputes contract, once. Afterwards nobody, not even the admin, can slash
    /// except through it.
    function bindDisputes(address disputes_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (disputes != address(0)) revert DisputesAlreadyBound(disputes);
        if (disputes_ == address(0)) revert InvalidParameter("disputes");
        disputes = disputes_;
        emit DisputesBound(disputes_);
    }

    /// @return amount the stake taken from the node.
    function slash(address signer, address challenger, bytes32 reason) external returns (uint256 amount) {
        if (msg.sender != disputes || disputes == address(0)) revert NotDisputes(msg.sender);
        Node storage n = nodes[signer];
        if (n.registeredAt == 0) revert UnknownNode(signer);
        if (n.slashedAt != 0) revert NodeIsSlashed(signer);
        n.slashedAt = uint64(block.timestamp);
        amount = n.stake;
        n.stake = 0;
        uint256 reward = (amount * challengerRewardBps) / 10_000;
        claimable[challenger] += reward;
        if (treasury == address(0)) totalBurned += amount - reward;
        else claimable[treasury] += amount - reward;
        emit NodeSlashed(signer, challenger, amount, reward, reason);
    }

    function claim() external nonReentrant {
        uint256 amount = claimable[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        claimable[msg.sender] = 0;
        emit Claimed(msg.sender, amount);
        _send(msg.sender, amount);
    }

    // ----------------------------------------------------------------------------- TEE measurements

    function allowMeasurement(bytes32 measurement) external onlyRole(GOVERNANCE_ROLE) {
        if (measurement == bytes32(0)) revert InvalidParameter("measurement");
        MeasurementStatus storage s = measurements[measurement];
        if (s.revokedAt != 0) revert MeasurementNotAllowed(measurement);
        if (s.allowedAt == 0) s.allowedAt = uint64(block.timestamp);
        emit MeasurementAllowed(measurement);
    }

    /// @notice Revocation is immediate and final: every node running `measurement` turns inactive.
    function revokeMeasurement(bytes32 measurement) external onlyRole(GOVERNANCE_ROLE) {
        MeasurementStatus storage s = measurements[measurement];
        if (s.allowedAt == 0 || s.revokedAt != 0) revert MeasurementNotAllowed(measurement);
        s.revokedAt = uint64(block.timestamp);
        emit MeasurementRevoked(measurement);
    }

    function isMeasurementAllowed(bytes32 measurement) public view returns (bool) {
        MeasurementStatus storage s = measurements[measurement];
        return s.allowedAt != 0 && s.revokedAt == 0;
    }

    /// @notice Posts the result of an off-chain attestation check (quote signature chain, report data
    /// binding the signer key, measurement). P-384 quote verification on chain would cost millions of gas.
    function recordAttestation(address signer, bytes32 measurement, bytes32 reportHash, bool valid)
        external
        onlyRole(VERIFIER_ROLE)
    {
        if (nodes[signer].registeredAt == 0) revert UnknownNode(signer);
        attestations[signer] = Attestation(measurement, reportHash, uint64(block.timestamp), valid);
        emit AttestationRecorded(signer, measurement, reportHash, valid);
    }

    /// @notice True when the latest attestation for `signer` verified, matches the measurement it
    /// registered with, and that measurement is still allowed.
    function isAttested(address signer) external view returns (bool) {
        Attestation storage a = attestations[signer];
        bytes32 m = nodes[signer].measurement;
        return a.valid && m != bytes32(0) && a.measurement == m && isMeasurementAllowed(m);
    }

    function setParameters(uint256 minStake_, uint64 heartbeatWindow_) external onlyRole(GOVERNANCE_ROLE) {
        if (heartbeatWindow_ == 0) revert InvalidParameter("heartbeatWindow");
        minStake = minStake_;
        heartbeatWindow = heartbeatWindow_;
        emit ParametersChanged(minStake_, heartbeatWindow_);
    }

    // ----------------------------------------------------------------------------- views

    /// @notice Serving now: staked at least `minStake`, heartbeat within `heartbeatWindow`, not left,
    /// not slashed, and its measurement (if any) still allowed.
    function isActive(address signer) public view returns (bool) {
        Node storage n = nodes[signer];
        return n.registeredAt != 0 && n.leftAt == 0 && n.slashedAt == 0 && n.stake >= minStake && n.stake > 0
            && block.timestamp <= uint256(n.lastHeartbeat) + heartbeatWindow
            && (n.measurement == bytes32(0) || isMeasurementAllowed(n.measurement));
    }

    /// @notice Was `signer` a registered node in good standing at `timestamp`: registered at or
    /// before it, and neither left, slashed nor running a revoked measurement by then.
    function wasActiveAt(address signer, uint64 timestamp) public view returns (bool) {
        Node storage n = nodes[signer];
        if (n.registeredAt == 0 || timestamp < n.registeredAt) return false;
        if (n.leftAt != 0 && timestamp >= n.leftAt) return false;
        if (n.slashedAt != 0 && timestamp >= n.slashedAt) return false;
        if (n.measurement != bytes32(0)) {
            uint64 revokedAt = measurements[n.measurement].revokedAt;
            if (revokedAt != 0 && timestamp >= revokedAt) return false;
        }
        return true;
    }

    /// @notice Registered, never slashed, not left, measurement not revoked: may still sign receipts
    /// that settle. Ignores heartbeat freshness (a node may settle after a missed heartbeat).
    function isInGoodStanding(address signer) public view returns (bool) {
        return wasActiveAt(signer, uint64(block.timestamp));
    }

    function getNode(address signer) public view returns (NodeView memory v) {
        Node storage n = nodes[signer];
        v = NodeView(
            signer, n.operator, n.endpoint, n.stake, n.registeredAt, n.lastHeartbeat, n.leftAt, n.slashedAt, n.measurement,
            isActive(signer)
        );
    }

    /// @notice Registration timestamps for history checks without copying the endpoint string.
    function timeline(address signer)
        external
        view
        returns (uint64 registeredAt, uint64 leftAt, uint64 slashedAt, bytes32 measurement)
    {
        Node storage n = nodes[signer];
        return (n.registeredAt, n.leftAt, n.slashedAt, n.measurement);
    }

    function nodeCount() external view returns (uint256) {
        return signers.length;
    }

    function signerAt(uint256 index) external view returns (address) {
        return signers[index];
    }

    /// @notice Active nodes among registrations [offset, offset + limit), in registration order.
    function getActiveNodes(uint256 offset, uint256 limit) external view returns (NodeView[] memory out) {
        uint256 end = offset + limit > signers.length ? signers.length : offset + limit;
        uint256 count;
        for (uint256 i = offset; i < end; i++) if (isActive(signers[i])) count++;
        out = new NodeView[](count);
        uint256 j;
        for (uint256 i = offset; i < end; i++) {
            if (isActive(signers[i])) out[j++] = getNode(signers[i]);
        }
    }

    // ----------------------------------------------------------------------------- internals

    function _live(address signer) private view returns (Node storage n) {
        n = nodes[signer];
        if (n.registeredAt == 0) revert UnknownNode(signer);
        if (n.slashedAt != 0) revert NodeIsSlashed(signer);
        if (n.leftAt != 0) revert NodeHasLeft(signer);
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
