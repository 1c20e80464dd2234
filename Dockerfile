# syntax=docker/dockerfile:1
# Rotor: build with the toolchain, run on a slim image as the unprivileged `node` user.
#   docker build -t rotor .
#   docker run --env-file rotor.env -v rotor-data:/data -p 3000:3000 rotor
#   docker exec <container> node bin/rotor.js overdue      (the admin CLI, same database)
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches the platform.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
# Dependencies first (cached while only src/ changes); `prepare` builds, so scripts wait for the sources.
RUN npm ci --ignore-scripts \
  && npm rebuild better-sqlite3
COPY tsconfig.json ./
COPY src ./src
RUN npm run build \
  && npm prune --omit=dev --ignore-scripts

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    ROTOR_DB=/data/rotor.db \
    PORT=3000
WORKDIR /app
# Rotor finds its migrations beside package.json, so both sit at /app.
COPY package.json manifest.yml ./
COPY bin ./bin
COPY migrations ./migrations
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# No curl in slim images: Node's own fetch asks /healthz, which is 200 only while the database answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node runs as PID 1 and receives SIGTERM itself; Rotor handles it and stops gracefully.
# The flags are package.json's start script's (none today: docs/memory.md says why).
CMD ["node", "dist/src/main.js"]
