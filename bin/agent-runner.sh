#!/bin/sh
# The `agent-runner` command: the TypeScript CLI on a Node that runs it (bootstrapped if needed).
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
exec sh "$root/scripts/with-node.sh" "$root/bin/agent-runner.ts" "$@"
