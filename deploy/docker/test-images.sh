#!/usr/bin/env bash
# `npm run test:images`: the slow, real image test (buildah + Debian's docker-registry), kept
# out of `npm test`. Installs the two Debian packages when they are missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
missing=()
command -v buildah >/dev/null || missing+=(buildah)
command -v docker-registry >/dev/null || missing+=(docker-registry)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
exec node --import tsx --test --test-timeout=1200000 --test-reporter=spec apps/conductor/test/images-live.images.ts
