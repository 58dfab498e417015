// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {NodeRegistry} from "../NodeRegistry.sol";

/// @notice Test attacker: a node operator (and challenger) contract whose receive() re-enters the
/// registry to withdraw or claim twice. Records whether the re-entry got through.
contract ReentrantOperator {
    NodeRegistry public immutable registry;
    uint8 private mode;
    uint256 public reentryAttempts;
    bool public reentrySucceeded;

    constructor(NodeRegistry registry_) {
        registry = registry_;
    }

    function register(string calldata endpoint) external payable {
        registry.register{value: msg.value}(address(this), endpoint, bytes32(0), "");
    }

    function leave() external {
        registry.leave(address(this));
    }

    function withdraw() external {
        mode = 1;
        registry.withdrawStake(address(this));
    }

    function claim() external {
        mode = 2;
        registry.claim();
    }

    /// @notice Forwards a call (e.g. a dispute) so that this contract is the challenger.
    function forward(address target, bytes calldata data) external {
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }

    receive() external payable {
        if (reentryAttempts > 0) return;
        reentryAttempts++;
        if (mode == 1) {
            try registry.withdrawStake(address(this)) {
                reentrySucceeded = true;
            } catch {}
        } else if (mode == 2) {
            try registry.claim() {
                reentrySucceeded = true;
            } catch {}
        }
    }
}
