# Hoplink's container image: `docker build -t hoplink .`, then
#   docker run IMAGE migrate | serve | worker | check --deploy | createsuperuser --email … --username …
# Building needs no secret and no runtime setting; everything runtime comes from the environment
# (or NAME_FILE secrets) when the container starts. docs/deploy.md has the whole story.

# One pinned Node LTS line for every stage. Pin the digest too (node:24-bookworm-slim@sha256:…)
# when your registry policy asks for reproducible pulls.
ARG NODE_IMAGE=node:24-bookworm-slim

# Every dependency, for the build (esbuild, TypeScript sources).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
# An empty environment proves the build reads no secret and no runtime setting.
RUN env -i PATH="$PATH" HOME=/tmp npm run build

# Runtime dependencies only, from the same lock file.
FROM ${NODE_IMAGE} AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
# The image is production: the settings that differ in a container are baked in, everything
# else (secrets, hosts, URLs) comes from the environment at run time.
ENV NODE_ENV=production \
    DATA_DIR=/data \
    SERVER_HOST=0.0.0.0 \
    SERVER_PORT=8000
WORKDIR /app
# Code and dependencies belong to root and are read-only to the server's user: a compromised
# process cannot rewrite what it runs. It owns only DATA_DIR (the click spool).
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# "type": "module" tells Node the bundle is ESM.
COPY package.json ./
RUN mkdir -p /data && chown node:node /data && chmod 0750 /data
USER node
VOLUME ["/data"]
EXPOSE 8000
# Liveness only (no database, no Redis): `healthcheck --worker` for worker containers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/app/dist/main.js", "healthcheck"]
# Exec form: Node is PID 1 and gets SIGTERM itself; serve and worker drain on it and exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/dist/main.js"]
CMD ["serve"]
