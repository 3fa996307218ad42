# The web image: the artifact's built web app (hashed /assets/* plus index.html) served by a
# dependency-free node static server (deploy/docker/web-server.mjs): assets immutable for a
# year, index.html no-cache with an ETag, the same headers the API's web module sends.
# Build context: the artifact folder with deploy/docker/{verify-artifact,web-server}.mjs
# copied to .ccimage/ (`ccr build <ref> --images` assembles it).

ARG BASE_IMAGE=docker.io/library/node:20-bookworm-slim

# ---- stage 1: check the artifact's hashes ---------------------------------------------
FROM ${BASE_IMAGE} AS verify
WORKDIR /src
COPY . .
RUN ["node", ".ccimage/verify-artifact.mjs", "/src"]

# ---- stage 2: the runtime: the web folder and the server, nothing else ------------------
FROM ${BASE_IMAGE}
ARG VERSION=dev
ARG COMMIT=unknown
ARG BUILT_AT=unknown
ARG SOURCE=https://github.com/cc-webapp/platform
LABEL org.opencontainers.image.title="cc-web" \
      org.opencontainers.image.description="CC Webapp web front end (static)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.created="${BUILT_AT}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="UNLICENSED"
WORKDIR /app
COPY --from=verify /src/web ./web
COPY --from=verify /src/.ccimage/web-server.mjs ./web-server.mjs
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    WEB_ROOT=/app/web \
    APP_VERSION=${VERSION} \
    APP_COMMIT=${COMMIT} \
    APP_BUILT_AT=${BUILT_AT}
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "web-server.mjs"]
