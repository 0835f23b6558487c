#!/usr/bin/env bash
# Prints the directory of a Node.js >= 22 to put first on PATH, installing Node 24 LTS from the npm
# registry (the `node-linux-<arch>` package: the official build, MIT) into .local/node when the
# machine's own `node` is older. Says in one line (stderr) which Node the project runs on.
# Usage: PATH="$(bash local/node/ensure-node.sh):$PATH"
set -euo pipefail

readonly MIN_MAJOR=22
readonly PINNED_VERSION=24.22.3
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$root/.local/node"

major_of() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

system_node="$(command -v node || true)"
system_version="$([[ -n "$system_node" ]] && "$system_node" --version 2>/dev/null || echo none)"
if [[ -n "$system_node" && "$(major_of "$system_node")" -ge $MIN_MAJOR ]]; then
  dirname "$system_node"
  exit 0
fi

if [[ -x "$dir/bin/node" && "$("$dir/bin/node" --version)" == "v$PINNED_VERSION" ]]; then
  [[ -z "${ENSURE_NODE_QUIET:-}" ]] && echo "node: using v$PINNED_VERSION from .local/node (the system's node is $system_version)" >&2
  echo "$dir/bin"
  exit 0
fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "error: no Node.js ${MIN_MAJOR}+ found and no prebuilt Node for $(uname -m); install Node.js 24 LTS first" >&2; exit 1 ;;
esac
if ! command -v npm >/dev/null; then
  echo "error: Node.js ${MIN_MAJOR}+ is required and npm is not there to fetch it; install Node.js 24 LTS first" >&2
  exit 1
fi

echo "node: installing Node.js $PINNED_VERSION into .local/node (the system's node is $system_version) …" >&2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# `npm pack` checks the tarball against the registry's integrity hash.
(cd "$tmp" && npm pack --silent "node-linux-$arch@$PINNED_VERSION" >/dev/null)
mkdir -p "$tmp/x"
tar -xzf "$tmp"/node-linux-*.tgz -C "$tmp/x"
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
mv "$tmp/x/package" "$dir"
echo "node: using $("$dir/bin/node" --version) from .local/node" >&2
echo "$dir/bin"
