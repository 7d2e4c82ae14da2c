#!/usr/bin/env bash
# Room: VS Code test harness (machine setup). May touch: apt (chromium, libkrb5-dev), a cache folder outside the repo.
# Installs what running a real VS Code here needs, only when missing: Debian chromium (driven by playwright-core),
# libkrb5-dev (code-server's kerberos module compiles against it) and the npm package code-server, whose bundled
# VS Code server is the real VS Code the tests and `npm start` use. Idempotent. Never touches package.json.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
. "$here/scripts/env.sh" >/dev/null
MUTUAL_TOOLS="${MUTUAL_TOOLS:-$HOME/.cache/mutual-tools}"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
prefix="$MUTUAL_TOOLS/code-server-$CODE_SERVER_VERSION"

missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -f "$prefix/node_modules/code-server/lib/vscode/out/server-main.js" ]; then
  echo "setup: installing code-server@$CODE_SERVER_VERSION into $prefix (3-4 minutes, ~630 MB)"
  mkdir -p "$prefix"
  npm install --no-audit --no-fund --prefix "$prefix" "code-server@$CODE_SERVER_VERSION"
fi
echo "setup: VS Code server at $prefix/node_modules/code-server/lib/vscode/out/server-main.js"
