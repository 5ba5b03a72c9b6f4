#!/usr/bin/env bash
# The retry policy's acceptance run: `bash bench/flaky.sh [runs] [count]` syncs `count` realistic
# connections (default 20,000) through a fresh mock that fails a third of requests (5xx 20%, HTML 502 8%,
# cut sockets 6%), with the real 500-a-minute limiter, `runs` times (default 10), with the CLI's default
# retry policy, and prints how many runs succeeded.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
count=${2:-20000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ok=0
for run in $(seq 1 "$runs"); do
  port=$((42000 + run))
  node --conditions=@picasync/source --import tsx packages/mock/src/bin.ts --port "$port" --count "$count" --seed "$run" \
    --fail-rate 0.2 --html-rate 0.08 --cut-rate 0.06 >"$dir/mock.log" 2>&1 &
  mock=$!
  until grep -q listening "$dir/mock.log"; do sleep 0.1; done
  started=$(date +%s)
  if PICA_BASE_URL="http://127.0.0.1:$port" PICA_SECRET_KEY=sk_test_mock_0000000000000000 \
    node --conditions=@picasync/source --import tsx apps/sync/src/bin.ts sync --db "file:$dir/run$run.db" >"$dir/out" 2>"$dir/err"; then
    ok=$((ok + 1))
    echo "run $run: ok in $(($(date +%s) - started)) s: $(cat "$dir/out")"
  else
    echo "run $run: FAILED in $(($(date +%s) - started)) s: $(tail -1 "$dir/err")"
  fi
  kill "$mock"; wait "$mock" 2>/dev/null
done
echo "$ok of $runs runs succeeded"
