#!/usr/bin/env bash
# The pipeline people write today without picasync: every page of both listings with curl, each row
# through jq, all into one sqlite-utils upsert keyed by id. `peer.sh <db file>` with PICA_BASE_URL, PICA_SECRET_KEY.
set -euo pipefail

for active in true false; do
  page=1
  while :; do
    body=$(curl -sfS -H "x-pica-secret: $PICA_SECRET_KEY" "$PICA_BASE_URL/v1/vault/connections?active=$active&limit=100&page=$page")
    jq -c '.rows[]' <<<"$body"
    [ "$page" -ge "$(jq '.pages' <<<"$body")" ] && break
    page=$((page + 1))
  done
done | sqlite-utils upsert "$1" connections - --nl --pk id
