// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ModelRegistry: what a model release means, immutably.
/// @notice A repository (`owner/name`, validated off chain by @verity/protocol parseRepoName) is
/// claimed by its first creator, who alone publishes releases (`MAJOR.MINOR`, e.g. "1.00"). A
/// release lists its files as sha2-256 digests (the digest inside each raw CIDv1; files[0] is the
/// ONNX model whose digest receipts carry as modelDigest), the hash of its ZK verification key and
/// the Groth16 verifier contract for it (both zero when the release has no ZK circuit), and the
/// publisher. Published releases never change. Each file digest maps to the first release that
/// published it, so a receipt's modelDigest finds its verifier.
contract ModelRegistry {
    struct Release {
        address publisher;
        uint64 publishedAt;
        bytes32 vkHash;
        address verifier;
        bytes32[] files;
    }

    struct ReleaseRef {
        string repository;
        string release;
    }

    mapping(bytes32 repoKey => address) public repositoryOwner;
    mapping(bytes32 repoKey => string[]) private releaseNames;
    mapping(bytes32 releaseKey => Release) private releases;
    mapping(bytes32 digest => bytes32 releaseKey) public releaseOfDigest;
    mapping(bytes32 releaseKey => ReleaseRef) private refs;

    event RepositoryCreated(string repository, address indexed owner);
    event RepositoryTransferred(string repository, address indexed from, address indexed to);
    event ReleasePublished(
        string repository, string release, bytes32 indexed releaseKey, address indexed publisher, bytes32 modelDigest, bytes32 vkHash, address verifier
    );

    error RepositoryExists(string repository);
    error UnknownRepository(string repository);
    error NotRepositoryOwner(address caller, string repository);
    error ReleaseExists(string repository, string release);
    error UnknownRelease(string repository, string release);
    error EmptyName();
    error NoFiles();
    error VerifierWithoutKey();

    function repositoryKey(string memory repository) public pure returns (bytes32) {
        return keccak256(bytes(repository));
    }

    function releaseKey(string memory repository, string memory release) public pure returns (bytes32) {
        return keccak256(abi.encode(repository, release));
    }

    function createRepository(string calldata repository) external {
        if (bytes(repository).length == 0) revert EmptyName();
        bytes32 key = repositoryKey(repository);
        if (repositoryOwner[key] != address(0)) revert RepositoryExists(repository);
        repositoryOwner[key] = msg.sender;
        emit RepositoryCreated(repository, msg.sender);
    }

    function transferRepository(string calldata repository, address newOwner) external {
        bytes32 key = _owned(repository);
        if (newOwner == address(0)) revert NotRepositoryOwner(newOwner, repository);
        repositoryOwner[key] = newOwner;
        emit RepositoryTransferred(repository, msg.sender, newOwner);
    }

    function publishRelease(
        string calldata repository,
        string calldata release,
        bytes32[] calldata files,
        bytes32 vkHash,
        address verifier
    ) external returns (bytes32 key) {
        bytes32 repoKey = _owned(repository);
        if (bytes(release).length == 0) revert EmptyName();
        if (files.length == 0) revert NoFiles();
        if (verifier != address(0) && vkHash == bytes32(0)) revert VerifierWithoutKey();
        key = releaseKey(repository, release);
        Release storage r = releases[key];
        if (r.publishedAt != 0) revert ReleaseExists(repository, release);
        r.publisher = msg.sender;
        r.publishedAt = uint64(block.timestamp);
        r.vkHash = vkHash;
        r.verifier = verifier;
        r.files = files;
        refs[key] = ReleaseRef(repository, release);
        releaseNames[repoKey].push(release);
        for (uint256 i = 0; i < files.length; i++) {
            if (releaseOfDigest[files[i]] == bytes32(0)) releaseOfDigest[files[i]] = key;
        }
        emit ReleasePublished(repository, release, key, msg.sender, files[0], vkHash, verifier);
    }

    function getRelease(string calldata repository, string calldata release) external view returns (Release memory r) {
        r = releases[releaseKey(repository, release)];
        if (r.publishedAt == 0) revert UnknownRelease(repository, release);
    }

    function getReleaseByKey(bytes32 key) public view returns (Release memory r, string memory repository, string memory release) {
        r = releases[key];
        ReleaseRef storage ref = refs[key];
        return (r, ref.repository, ref.release);
    }

    /// @notice The release a model digest first appeared in (zero key when none).
    function getReleaseByDigest(bytes32 digest)
        external
        view
        returns (bytes32 key, Release memory r, string memory repository, string memory release)
    {
        key = releaseOfDigest[digest];
        (r, repository, release) = getReleaseByKey(key);
    }

    /// @notice The ZK verifier registered for a model digest, zero when there is none.
    function verifierOf(bytes32 modelDigest) external view returns (address verifier, bytes32 vkHash) {
        Release storage r = releases[releaseOfDigest[modelDigest]];
        return (r.verifier, r.vkHash);
    }

    function listReleases(string calldata repository) external view returns (string[] memory) {
        return releaseNames[repositoryKey(repository)];
    }

    function _owned(string calldata repository) private view returns (bytes32 key) {
        key = repositoryKey(repository);
        address owner = repositoryOwner[key];
        if (owner == address(0)) revert UnknownRepository(repository);
        if (owner != msg.sender) revert NotRepositoryOwner(msg.sender, repository);
    }
}
