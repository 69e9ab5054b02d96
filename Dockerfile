# The WebSocket server image (used by docker-compose.yml). Build from the repo root:
#   docker build -t realtime-bus-server .
# Multi-stage: "build" installs the workspace with pnpm (dev deps included: the server runs its
# TypeScript sources through tsx), "runtime" keeps only the installed tree and runs the server.

FROM node:24-bookworm-slim AS base
ENV CI=true \
    PNPM_HOME=/pnpm \
    PATH=/pnpm:$PATH
WORKDIR /app
# pnpm at the version package.json pins in "packageManager".
COPY package.json ./
RUN npm install --global --no-fund --no-audit \
      "pnpm@$(node -p "require('./package.json').packageManager.split('@')[1]")" \
 && pnpm --version

FROM base AS build
# Fetch every package of the lockfile first: this layer is reused until pnpm-lock.yaml changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch --frozen-lockfile
COPY . .
RUN pnpm install --offline --frozen-lockfile

FROM base AS runtime
ENV NODE_ENV=production \
    PORT=8080
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://localhost:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# What `pnpm start` runs, without pnpm in between: node is PID 1 and gets SIGTERM itself, so a
# `docker stop` closes clients with 1001, flushes the bus and exits 0.
CMD ["node", "--conditions=@app/source", "--import", "tsx", "packages/server/src/main.ts"]
