# syntax=docker/dockerfile:1
# Three stages: build bundles src/ and builds the console with the dev dependencies (esbuild, Vite), deps installs production packages only,
# runtime runs the bundle with plain node: no TypeScript loader (tsx costs ~80 MB RSS), no dev packages.
# Node 20 (the node:20 images are 20.19 or later): package.json `engines` says ^20.19.0 || >=22.13.0, and
# --engine-strict makes npm ci fail, not warn, if a package of the tree would not run on this Node.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --engine-strict --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/console-build.mjs ./scripts/
COPY src ./src
# The web console (console/ -> console/dist, served at /console/): built here with the dev packages (Vite,
# React, antd); the image ships the built files only.
COPY client/src ./client/src
COPY console ./console
RUN npm run build

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --engine-strict --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
# The bundle finds migrations/ and the repeatable SQL (functions, triggers, views: src/db/sql) by walking up from
# dist/ (src/db/migrate.ts, src/db/repeatable.ts); packages (the font included) resolve from node_modules.
COPY --from=build /app/dist ./dist
COPY --from=build /app/console/dist ./console/dist
COPY migrations ./migrations
COPY src/db/sql ./src/db/sql
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Source maps: stack traces in the logs point at src/*.ts lines (the map holds positions only, no sources).
# An explicit old-space limit: without one V8 sizes the heap from the machine's memory and let the server grow to
# ~330 MB under load; with 512 MB it peaks at ~190 MB at the same throughput (npm run bench), with room for a
# city-wide CSV export. --single-threaded-gc: the GC's helper threads competed with the main thread for the
# one core the server had, and old-generation collections showed as p99 spikes (npm run bench -- --only rate).
# --max-semi-space-size=4: a 4 MB young generation instead of up to 16 MB per semi-space under load, about 30 MB
# less resident at the same throughput (docs/operations.md). Same flags as `npm run start:prod`; override with NODE_OPTIONS if needed.
CMD ["node", "--enable-source-maps", "--max-old-space-size=512", "--max-semi-space-size=4", "--single-threaded-gc", "dist/server.mjs"]
