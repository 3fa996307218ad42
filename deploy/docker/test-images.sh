#!/usr/bin/env bash
# `npm run test:images`: the slow, real container tests, kept out of `npm test`:
#   apps/conductor/test/images-live.images.ts  build + push both images, run them (buildah)
#   apps/conductor/test/k8s-pods.images.ts     the production overlay's pods on podman
#   apps/conductor/test/compose-pods.images.ts the Compose stack's buildable services on podman-compose
# Installs the Debian packages it needs when they are missing. Every test tears down what it
# made; if a test process dies anyway, the trap tears down every podman node of this run
# (network namespace, veth, pods, storage) and removes the run's folder.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=(buildah:buildah docker-registry:docker-registry podman:podman runc:runc catatonit:catatonit
      podman-compose:podman-compose nsenter:util-linux redis-cli:redis-tools)
missing=()
for pair in "${need[@]}"; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "test:images: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

run_root=$(mktemp -d /tmp/cc-images-XXXXXX)
chmod 700 "$run_root"
cleanup() {
  node --import tsx apps/conductor/test/support/podman-teardown.ts "$run_root" || true
  rm -rf "$run_root"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$(date +%s)
set +e
CC_IMAGES_RUN_ROOT="$run_root" node --import tsx --test --test-concurrency=1 --test-timeout=1800000 --test-reporter=spec \
  apps/conductor/test/images-live.images.ts \
  apps/conductor/test/k8s-pods.images.ts \
  apps/conductor/test/compose-pods.images.ts \
  "$@"
code=$?
set -e
echo "test:images: finished in $(( $(date +%s) - started )) s"
exit $code
