# The strangler proxy's production image.
#
#   docker build -t strangler .
#   docker run --rm -p 8080:8080 -v "$PWD/routing-rules.yaml:/app/routing-rules.yaml:ro" strangler
#
# Stages: `toolchain` (compilers and package*.json), then on it `build`, which compiles the
# TypeScript (every dependency), and `deps`, which installs only what ships
# (`npm ci --omit=dev`); the runtime stage copies dist/ and those node_modules onto a slim Node
# with no compiler. better-sqlite3 compiles its native addon in its install script, so
# both install stages have python3, make and g++; the script runs because package.json's
# `allowScripts` allows it (no --ignore-scripts anywhere: an addon that was not built would only
# fail later, at the first shadowed request).

# Node 20.19.2 or later: the llhttp release with the request-smuggling fixes the proxy relies on.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# `prepare` runs `npm run build` on install; here the sources come later (and tsc is a dev
# dependency), so the install stages drop it. The runtime stage copies the original package.json.
RUN npm pkg delete scripts.prepare

FROM toolchain AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY legacy-monolith ./legacy-monolith
COPY extracted ./extracted
COPY proxy ./proxy
COPY shadow ./shadow
COPY scripts ./scripts
RUN npm run build

FROM toolchain AS deps
RUN npm ci --omit=dev --no-audit --no-fund \
 && node -e "const D = require('better-sqlite3'); new D(':memory:').prepare('select 1').get()" \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The shipped rules (the default STRANGLER_RULES) and the schema their first line points editors at.
COPY routing-rules.yaml ./
COPY proxy/routing-rules.schema.json ./proxy/
# `strangler` on the PATH (for `docker exec … strangler check`), and data/ (diff store, Unleash
# backup) writable by the proxy's user; mount a volume there to keep it.
RUN ln -s /app/dist/scripts/cli.js /usr/local/bin/strangler \
 && chmod 755 /app/dist/scripts/cli.js \
 && mkdir -p /app/data \
 && chown 1000:1000 /app/data
# The node user of the official image, by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080 9901
# Node's own fetch: the slim image has no curl. 127.0.0.1 is an address the admin port answers
# (ADMIN_HOST defaults to 127.0.0.1; with 0.0.0.0 loopback works too).
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ADMIN_PORT || 9901) + '/healthz', { signal: AbortSignal.timeout(2500) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/scripts/cli.js"]
CMD ["proxy"]
