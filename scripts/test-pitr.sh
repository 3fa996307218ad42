#!/usr/bin/env bash
# npm run test:pitr: point-in-time recovery end to end with pgBackRest and a private
# PostgreSQL 15 cluster (about a minute: a server restart, a base backup, two restores with
# recovery), so it is not part of `npm test`, which covers PITR's parts against the shared server.
set -euo pipefail
cd "$(dirname "$0")/.."
for p in pgbackrest postgresql-15; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$p" >/dev/null
  fi
done
exec node --import tsx --test --test-timeout=600000 --test-reporter=spec apps/conductor/test/pitr-live.pitr.ts
