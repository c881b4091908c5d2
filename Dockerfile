# coffee-chat: compiled JavaScript on the current Node LTS, run as a non-root user.
#   docker build -t coffee-chat .
#   docker run --rm coffee-chat --help
# The same image runs every role: `db migrate`, `worker`, `web`, `run` (see docker-compose.yml).

# 1. Build: all dependencies (TypeScript, the Prisma generator), then `npm run build` → dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts/prisma-generate.ts scripts/
COPY prisma prisma
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts scripts
COPY worker worker
COPY integrations integrations
COPY sandbox sandbox
COPY templates templates
RUN npm run build

# 2. Runtime dependencies only (no TypeScript, no jest, no Prisma CLI: dist/ holds the generated client).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# 3. The image: dist/ and production node_modules, owned by root, run as `node`.
FROM node:24-bookworm-slim
# V8's old space capped at 256 MB: left to itself, V8 let a worker's heap grow to 350 MB of
# mostly garbage over a 5-minute sync interval at 10,000 accounts (RSS 500 MB); capped, the same
# sweep ran at 240 MB RSS with the same CPU (the bench, README "Latest run"). The live heap there
# was ~80 MB. Raise it (NODE_OPTIONS) if a worker ever logs "heap out of memory".
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=256 \
    DATA_DIR=/data \
    HEALTH_PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080 8081 9464
# Alive = /healthz answers on HEALTH_PORT (the review page's port, or the worker's --metrics-port).
# With WEB_AUTH_TOKEN set it is sent as a Bearer token, as every route there requires.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HEALTH_PORT+'/healthz',{headers:process.env.WEB_AUTH_TOKEN?{authorization:'Bearer '+process.env.WEB_AUTH_TOKEN}:{}}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/worker/cli/main.js"]
CMD ["--help"]
