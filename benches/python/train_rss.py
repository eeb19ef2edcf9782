"""Peak memory of `mlp train --model ridge` (issue 15's target: under 300 MB for 5M rows x
20 features of Parquet): the file read in chunks, against the same file on standard input,
which `mlp` reads into memory. Run by `cargo xtask train-rss`.

Usage: train_rss.py MLP DIR ROWS

Writes DIR/rows.parquet (ROWS rows, features x0..x19 standard normal, y linear in them plus
noise, fixed seed; Snappy, pyarrow's default row groups) unless it already holds ROWS rows,
then runs each command once and prints its wall time and peak resident set size (the
child's ru_maxrss, from getrusage). Both must print the same in-sample R^2.
"""
import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

FEATURES = 20
SEED = 15


def write(path, rows):
    if os.path.exists(path) and pq.ParquetFile(path).metadata.num_rows == rows:
        return
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((rows, FEATURES))
    y = x @ np.linspace(-1.0, 1.0, FEATURES) + 0.1 * rng.standard_normal(rows)
    cols = {f"x{j}": x[:, j] for j in range(FEATURES)} | {"y": y}
    pq.write_table(pa.table(cols), path + ".tmp")
    os.replace(path + ".tmp", path)


def run(label, cmd, stdin=None):
    """Runs `cmd` alone (children's peak RSS is a maximum over every child waited for, so
    each command runs in a fresh Python child of its own)."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "stdin = open(sys.argv[1], 'rb') if sys.argv[1] != '-' else None\n"
        "out = subprocess.run(sys.argv[2:], stdin=stdin, capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "if out.returncode != 0:\n"
        "    sys.exit(out.stderr)\n"
        "r2 = [l for l in out.stdout.splitlines() if l.startswith('in-sample R^2')]\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(f'{wall:.2f} {rss} {r2[0]}')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, stdin or "-", *cmd],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"train_rss: {label}: {done.stderr.strip()}")
    wall, rss_kb, r2 = done.stdout.strip().split(" ", 2)
    print(f"{label}: {float(wall):.2f} s wall, peak RSS {int(rss_kb) / 1024:.0f} MB; {r2}")
    return r2


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    mlp, data, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.makedirs(data, exist_ok=True)
    path = os.path.join(data, "rows.parquet")
    write(path, rows)
    model = os.path.join(data, "m.json")
    base = [mlp, "train", "--model", "ridge", "--target", "y", "--out", model]
    print(f"train_rss: {rows} rows x {FEATURES} features, {os.path.getsize(path) / 1e6:.0f} MB "
          f"of Parquet; {os.cpu_count()} CPUs")
    a = run("read in chunks (--input rows.parquet)", base + ["--input", path])
    b = run("read into memory (--input - < rows.parquet)", base + ["--input", "-", "--format", "parquet"],
            stdin=path)
    if a != b:
        raise SystemExit(f"train_rss: the two fits print different figures: {a!r} vs {b!r}")


if __name__ == "__main__":
    main()
