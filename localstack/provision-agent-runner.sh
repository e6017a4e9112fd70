#!/bin/sh
# Provisions agent-runner's resources in LocalStack with `agent-runner provision` (idempotent) and
# writes the variables that point the services at them to $1 (default /config/agent-runner.env).
# docker-compose.yml runs it in the `provision` service once LocalStack is healthy; it works the
# same by hand: AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_REGION=us-east-1 sh localstack/provision-agent-runner.sh .env.localstack
set -eu
out="${1:-/config/agent-runner.env}"
here=$(cd "$(dirname "$0")/.." && pwd)
: "${AWS_ENDPOINT_URL:?AWS_ENDPOINT_URL must point at LocalStack}"
: "${AWS_REGION:=us-east-1}"
export AWS_REGION AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
# The services here launch workers as local processes, so ECS (a LocalStack Pro API) is left out
# unless asked for: AGENT_RUNNER_PROVISION_ECS=1 (with LOCALSTACK_AUTH_TOKEN set for LocalStack).
ecs_flag="--no-ecs"
[ "${AGENT_RUNNER_PROVISION_ECS:-0}" = "1" ] && ecs_flag=""
exec node --disable-warning=ExperimentalWarning "$here/bin/agent-runner.ts" provision --write-env "$out" $ecs_flag
