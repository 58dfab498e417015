# Puts the project's Node 24 first on PATH and points native builds at its headers.
# Usage: . scripts/env.sh
_verity_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -x "$_verity_root/.tools/node/bin/node" ]; then
  export PATH="$_verity_root/.tools/node/bin:$PATH"
  export npm_config_nodedir="$_verity_root/.tools/node"
fi
unset _verity_root
