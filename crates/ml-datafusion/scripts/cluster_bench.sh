#!/usr/bin/env bash
# The Ballista overhead over DataFusion on one machine: the grouped ridge_fit over a folder
# of Parquet files written by the engine_bench example, in one process (`mlp-sql`) and on a
# scheduler with two executors on loopback, one task each (so the two together use as many
# cores as the single process's default on a 2-core machine). Run from the workspace root:
#
#   cargo run --profile engine-bench -p ml-datafusion --example engine_bench -- \
#       --rows 10000000 --features 20 --symbols 100 --dir target/engine-bench-data
#   cargo build --profile engine-bench -p ml-datafusion --features ballista --bins
#   crates/ml-datafusion/scripts/cluster_bench.sh target/engine-bench-data 20
#
# Prints the wall time of each run (process start to result written) and checks that every
# cluster run's models equal the single-process run's to 1e-10 relative.
set -euo pipefail
DATA=${1:?the Parquet folder}
K=${2:?the number of features x1..xK}
BIN=${BIN:-target/engine-bench}
OUT=$(mktemp -d)
XS=$(seq -s ' ' 1 "$K" | sed 's/\([0-9]\+\)/x\1,/g')
Q="SELECT symbol, ridge_fit(y, $XS 1.0) AS model FROM t GROUP BY symbol ORDER BY symbol"
for i in 1 2 3; do
  /usr/bin/time -f "one process, run $i: %e s" "$BIN/mlp-sql" --table "t=$DATA" --output "$OUT/local_$i.csv" "$Q"
done
"$BIN/mlp-scheduler" --bind 127.0.0.1 --port 50050 > "$OUT/scheduler.log" 2>&1 &
PIDS=$!
sleep 2
for e in 0 1; do
  "$BIN/mlp-executor" --scheduler 127.0.0.1:50050 --port $((50051 + 10 * e)) \
    --grpc-port $((50052 + 10 * e)) --vcores 1 --log-tasks > "$OUT/executor_$e.log" 2>&1 &
  PIDS="$PIDS $!"
done
trap 'kill $PIDS 2>/dev/null || true' EXIT
sleep 4
for p in 2 4; do
  for i in 1 2 3; do
    /usr/bin/time -f "Ballista, 2 executors, $p partitions, run $i: %e s" "$BIN/mlp-sql" \
      --cluster 127.0.0.1:50050 --partitions "$p" --table "t=$DATA" --output "$OUT/cluster_${p}_$i.csv" "$Q"
  done
done
for e in 0 1; do
  echo "executor $e ran $(grep -c . "$OUT/executor_$e.log" || true) log lines (one per task)"
done
python3 - "$OUT" <<'PY'
import csv, json, sys, glob, os
out = sys.argv[1]
def models(path):
    with open(path) as f:
        return {r["symbol"]: json.loads(r["model"]) for r in csv.DictReader(f)}
def numbers(m):
    if isinstance(m, dict):
        for k in sorted(m):
            yield from numbers(m[k])
    elif isinstance(m, list):
        for v in m:
            yield from numbers(v)
    elif isinstance(m, (int, float)) and not isinstance(m, bool):
        yield float(m)
want = models(os.path.join(out, "local_1.csv"))
worst = 0.0
for path in sorted(glob.glob(os.path.join(out, "cluster_*.csv"))):
    got = models(path)
    assert got.keys() == want.keys(), f"{path}: other symbols"
    for s in want:
        for a, b in zip(numbers(got[s]), numbers(want[s])):
            worst = max(worst, abs(a - b) / max(abs(b), 1e-300))
print(f"{len(want)} models; largest relative difference cluster vs one process: {worst:.1e}")
assert worst <= 1e-10, "cluster results differ"
PY
