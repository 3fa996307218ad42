# The API image, built from a release artifact (`ccr build <ref>` output) as the context:
# the artifact already holds only production code (an esbuild bundle plus the native
# packages it needs), so no dev dependency or source tree can reach a layer.
# Build: `ccr build <ref> --images` (buildah), or by hand:
#   buildah bud --format docker -f deploy/docker/api.Dockerfile \
#     --build-arg BASE_IMAGE=docker.io/library/node:20-bookworm-slim \
#     --build-arg VERSION=v1.2.3 --build-arg COMMIT=<sha> --build-arg SOURCE=<repo url> <context>
# The context is the artifact folder with deploy/docker/verify-artifact.mjs copied to .ccimage/.

# Any image with node (>= 20) on PATH. CI elsewhere uses the official node image; the image
# test builds one from Debian packages because public registries are out of reach there.
ARG BASE_IMAGE=docker.io/library/node:20-bookworm-slim

# ---- stage 1: check the artifact's hashes before anything is copied into the image ----
FROM ${BASE_IMAGE} AS verify
WORKDIR /src
COPY . .
RUN ["node", ".ccimage/verify-artifact.mjs", "/src"]

# ---- stage 2: the runtime, only the verified files -----------------------------------
FROM ${BASE_IMAGE}
ARG VERSION=dev
ARG COMMIT=unknown
ARG BUILT_AT=unknown
ARG SOURCE=https://github.com/cc-webapp/platform
LABEL org.opencontainers.image.title="cc-api" \
      org.opencontainers.image.description="CC Webapp API (Fastify)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.created="${BUILT_AT}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="UNLICENSED"
WORKDIR /app
# Owned by root and not writable by the app user: the code is read-only even without a
# read-only root filesystem (Kubernetes sets that too; see deploy/k8s).
COPY --from=verify /src/api ./api
COPY --from=verify /src/node_modules ./node_modules
COPY --from=verify /src/migrations ./migrations
COPY --from=verify /src/manifest.json ./manifest.json
# No secrets here: DATABASE_URL, REDIS_URL, JWT_SECRET and the like come from the runtime
# (env_file / Kubernetes Secret references).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    MIGRATIONS_DIR=/app/migrations \
    APP_VERSION=${VERSION} \
    APP_COMMIT=${COMMIT} \
    APP_BUILT_AT=${BUILT_AT}
USER 10001:10001
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "api/server.mjs"]
