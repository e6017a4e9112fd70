# One image for every service: the command picks it (api | dispatcher | worker | provision | start).
# Node 24 runs the TypeScript sources directly (type stripping); only the one-shot worker, started
# once per job, runs from a bundle built below.
# Pinned: the Node the repo's own tooling runs (.tools), so the image runs what the tests ran.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY services/api/package.json services/api/
COPY services/dispatcher/package.json services/dispatcher/
COPY services/worker/package.json services/worker/
RUN npm ci --omit=dev --no-audit --no-fund

# The worker's bundle (scripts/build-worker.ts, esbuild: a dev dependency, kept out of the image).
FROM ${NODE_IMAGE} AS worker-bundle
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY services/api/package.json services/api/
COPY services/dispatcher/package.json services/dispatcher/
COPY services/worker/package.json services/worker/
RUN npm ci --no-audit --no-fund
COPY shared ./shared
COPY services ./services
COPY scripts ./scripts
RUN node --disable-warning=ExperimentalWarning scripts/build-worker.ts

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY shared ./shared
COPY services ./services
COPY bin ./bin
COPY localstack ./localstack
# Built after the sources above were copied in, so services/worker/src/entry.ts finds it up to date.
COPY --from=worker-bundle /app/.build/worker ./.build/worker
# Node's compile cache, filled at build time: every container (a worker is one per job) starts
# without compiling the modules again, about half the start-up time.
ENV NODE_COMPILE_CACHE=/app/.compile-cache
RUN node --disable-warning=ExperimentalWarning bin/warm-compile-cache.ts \
 && chown -R node:node /app/.compile-cache
# The image runs as the unprivileged `node` user that the base image provides.
USER node
# No ENTRYPOINT: an ECS task definition's `command` (the worker's) replaces CMD as a whole.
CMD ["node", "--disable-warning=ExperimentalWarning", "bin/agent-runner.ts", "start"]
