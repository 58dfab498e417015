# Puts the project's Node 24 first on PATH and points native builds at its headers.
# Usage: . scripts/env.sh
_verity_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -x "$_verity_root/.tools/node/bin/node" ]; then
  # npm run by our Node would look for its global config under .tools/node; keep the machine's
  # (it carries the registry's CA file on machines behind a TLS-inspecting proxy).
  _verity_sys_node="$(PATH="${PATH//$_verity_root\/.tools\/node\/bin:/}" command -v node 2>/dev/null || true)"
  if [ -z "${npm_config_globalconfig:-}" ] && [ -n "$_verity_sys_node" ]; then
    _verity_sys_prefix="$(dirname "$(dirname "$(readlink -f "$_verity_sys_node")")")"
    [ -f "$_verity_sys_prefix/etc/npmrc" ] && export npm_config_globalconfig="$_verity_sys_prefix/etc/npmrc"
  fi
  if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
  fi
  case ":$PATH:" in
    *":$_verity_root/.tools/node/bin:"*) ;;
    *) export PATH="$_verity_root/.tools/node/bin:$PATH" ;;
  esac
  export npm_config_nodedir="$_verity_root/.tools/node"
  # onnxruntime-node ships its CPU binaries; its install script would try to download CUDA parts.
  export ONNXRUNTIME_NODE_INSTALL=skip
fi
unset _verity_root _verity_sys_node _verity_sys_prefix
