# One image for every Asahi app; the APP env var picks which one runs:
#   docker build -t asahi .
#   docker run --rm -e APP=pipeline -e KAFKA_BROKERS=... -e REDIS_URL=... asahi
#   docker run --rm asahi node --import tsx scripts/migrate.ts      # any other command
# docker-compose.yml builds it once and runs each app (and the one-shot `migrate`) from it.
# Apps run from TypeScript source with tsx (no build step), exactly as in development.
FROM node:20-bookworm-slim

# Same switches as scripts/bootstrap.mjs: no binaries fetched by postinstall hooks, no Prisma
# generate during install (done explicitly below, offline), no Nx Cloud or daemon.
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    PRISMA_SKIP_POSTINSTALL_GENERATE=1 \
    NX_NO_CLOUD=true \
    NX_DAEMON=false \
    npm_config_update_notifier=false

# Everything runs as the image's unprivileged `node` user; owning /app up front avoids a
# `chown -R` layer that would duplicate node_modules.
RUN mkdir -p /app && chown node:node /app
WORKDIR /app
USER node

# The whole repo (minus .dockerignore) in one step: npm install needs every workspace's package.json to
# link the workspaces, and the apps import workspace packages from source.
COPY --chown=node:node . .
# devDependencies are needed at run time: tsx is the loader every app starts with.
RUN npm install --include=dev --no-audit --no-fund && npm cache clean --force
RUN npx tsx scripts/prisma-generate.ts

# Default app; override with `-e APP=<name>` (ingest-api, pipeline, results, analytics,
# provider-sim). HOST=0.0.0.0 because the apps default to 127.0.0.1 (unreachable from outside).
ENV APP=ingest-api \
    HOST=0.0.0.0

# Shell form so ${APP} is expanded at start; `exec` makes node PID 1 so it receives SIGTERM
# directly, which the apps' graceful shutdown (onShutdown) relies on.
CMD ["sh", "-c", "exec node --import tsx \"apps/${APP}/src/main.ts\""]
