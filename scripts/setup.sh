#!/usr/bin/env bash
# A fresh machine's setup (CI runs it too, .ci/run): the system packages the tests, the demo and the
# benchmark start, from Debian/Ubuntu's apt-get (as root, or with sudo), then the npm side
# (scripts/ensure-deps.sh: npm ci, the simulated Lambda runtime's Node.js). Installs only what is missing.
# `bash scripts/setup.sh --check` installs nothing: it names the missing system packages, and fails if any is.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# redis-sentinel is only for the benchmark (and its smoke test), against which this project is measured.
command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
# nft builds the benchmark's real network partitions (bench/network.ts), inside namespaces only.
command -v nft >/dev/null 2>&1 || missing+=(nftables)
# redis-py, a real Sentinel client the tests follow failovers with (Debian's, for Debian's python3).
/usr/bin/python3 -c 'import redis' >/dev/null 2>&1 || missing+=(python3-redis)

if [ "${1:-}" = --check ]; then
  [ ${#missing[@]} -eq 0 ] && exit 0
  echo "# missing system packages: ${missing[*]} (install them with: bash scripts/setup.sh)" >&2
  exit 1
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "# installing ${missing[*]} with apt-get" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  # The packages start system-wide servers on 6379/26379; this project starts its own on free ports.
fi

bash scripts/ensure-deps.sh
