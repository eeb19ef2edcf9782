"""The peers of the end-to-end rows of `cargo xtask compare` (issue 15): `mlp features` on
OHLCV bars of 20 symbols (windows 8, 32, 128, horizon 1), done by Polars and by pandas,
Parquet in, Parquet (and CSV) out, with every output column of ours computed the same way.

Usage:
  features_peers.py check DIR          each peer once; their outputs against ours
  features_peers.py time DIR ROUND T   timings at T threads -> DIR/peers_ROUND_Tt.json

DIR holds bars.parquet (benches/python/e2e_data.py) and, for `check`, our outputs
ours.parquet and ours.csv. `check` writes DIR/check.json (the worst difference per column
and peer) and exits 1 on the first column whose missing cells or values differ beyond its
tolerance, naming the column, the row and both values. Definitions (`mlp features --help`
lists them): pandas semantics throughout (rolling std ddof 1, skew G1, kurt G2 excess,
ewm(span, adjust=False)), per symbol, empty (null or NaN) where undefined, rows in input
order. Both peers write Snappy Parquet, as ours does; both write the whole frame (keys and
features), as ours does.
"""
import json
import math
import os
import sys
import time

import numpy as np

WINDOWS = (8, 32, 128)
EMA_SPANS = (8, 32)
SPEC_LEN, SPEC_BINS = 32, 4
HORIZON = 1
KEEP = ["date", "symbol", "open", "high", "low", "close", "volume"]
LN2 = math.log(2.0)


def feature_names():
    """Our output columns after the kept ones, in our order."""
    names = ["log_return"]
    for w in WINDOWS:
        names += [f"roll_mean_{w}", f"roll_std_{w}", f"roll_skew_{w}", f"roll_kurt_{w}", f"zscore_{w}"]
    names += [f"ema_{s}" for s in EMA_SPANS]
    for w in WINDOWS:
        names += [f"momentum_{w}", f"roll_min_{w}", f"roll_max_{w}"]
    names += [f"spec_{k}" for k in range(1, SPEC_BINS + 1)]
    names += [f"log_return_{h}" for h in WINDOWS]
    names += ["bar_range", "true_range", "dollar_volume"]
    for w in WINDOWS:
        names += [f"{n}_{w}" for n in ("parkinson", "garman_klass", "rogers_satchell", "vwap", "vwap_dev", "volume_z")]
    return names + [f"fwd_log_return_{HORIZON}", f"fwd_up_{HORIZON}"]


# The spectral bins without a weighted window: with m a row's position in its series and
# theta = 2 pi k / N, X_k over the N returns ending at row t is e^{i theta (t - N + 1)}
# times sum r_m e^{-i theta m} over those rows, and the phase factor has modulus 1, so
# |X_k|^2 = (rolling_sum_N(r cos(theta m)))^2 + (rolling_sum_N(r sin(theta m)))^2: plain
# rolling sums (O(1) a row, empty while the window holds an empty return) of the returns
# times a cos and a sin of the position, m k taken modulo N so the angles stay exact.
def phase(k, m):
    """The angle 2 pi (k m mod N) / N of bin k at positions m (a Polars expression or a
    pandas Series)."""
    return ((m * k) % SPEC_LEN) * (2 * math.pi / SPEC_LEN)


# ---------------------------------------------------------------- Polars


def polars_frame(path):
    """Polars, lazily: scan, two `with_columns` stages of `.over("symbol")` expressions (the
    second reads the returns the first made), collect."""
    import polars as pl

    c, o, h, l = (pl.col(n) for n in ("close", "open", "high", "low"))
    v = pl.col("volume").cast(pl.Float64)
    by = "symbol"
    prev = c.shift(1).over(by)
    stage1 = [
        (c / prev).log().alias("log_return"),
        prev.alias("_prev"),
        (h / l).log().pow(2).alias("_hl2"),
        (0.5 * (h / l).log().pow(2) - (2 * LN2 - 1) * (c / o).log().pow(2)).alias("_gk"),
        ((h / c).log() * (h / o).log() + (l / c).log() * (l / o).log()).alias("_rs"),
        (c * v).alias("dollar_volume"),
        v.alias("_v"),
        pl.int_range(pl.len()).over(by).alias("_m"),
    ]
    r, pv, v = pl.col("log_return"), pl.col("_prev"), pl.col("_v")
    cols = {"log_return": r}
    for w in WINDOWS:
        cols[f"roll_mean_{w}"] = r.rolling_mean(w).over(by)
        cols[f"roll_std_{w}"] = r.rolling_std(w).over(by)
        cols[f"roll_skew_{w}"] = r.rolling_skew(w, bias=False).over(by)
        cols[f"roll_kurt_{w}"] = r.rolling_kurtosis(w, fisher=True, bias=False).over(by)
        cols[f"zscore_{w}"] = ((c - c.rolling_mean(w)) / c.rolling_std(w)).over(by)
    for s in EMA_SPANS:
        cols[f"ema_{s}"] = c.ewm_mean(span=s, adjust=False).over(by)
    for w in WINDOWS:
        cols[f"momentum_{w}"] = (c / c.shift(w) - 1).over(by)
        cols[f"roll_min_{w}"] = c.rolling_min(w).over(by)
        cols[f"roll_max_{w}"] = c.rolling_max(w).over(by)
    # The weighted rolling_sum would need no positions but runs O(N) a row and refuses
    # nulls (the series' first return): the rolling sums of the modulated returns instead.
    m = pl.col("_m")
    for k in range(1, SPEC_BINS + 1):
        theta = phase(k, m)
        re, im = (r * theta.cos()).rolling_sum(SPEC_LEN), (r * theta.sin()).rolling_sum(SPEC_LEN)
        cols[f"spec_{k}"] = ((re.pow(2) + im.pow(2)) / SPEC_LEN).over(by)
    for w in WINDOWS:
        cols[f"log_return_{w}"] = (c / c.shift(w)).log().over(by)
    cols["bar_range"] = h - l
    cols["true_range"] = pl.when(pv.is_null()).then(None).otherwise(pl.max_horizontal(h, pv) - pl.min_horizontal(l, pv))
    cols["dollar_volume"] = pl.col("dollar_volume")
    for w in WINDOWS:
        vwap = (pl.col("dollar_volume").rolling_sum(w) / v.rolling_sum(w)).over(by)
        cols[f"parkinson_{w}"] = (pl.col("_hl2").rolling_mean(w) / (4 * LN2)).sqrt().over(by)
        cols[f"garman_klass_{w}"] = pl.col("_gk").rolling_mean(w).sqrt().over(by)
        cols[f"rogers_satchell_{w}"] = pl.col("_rs").rolling_mean(w).sqrt().over(by)
        cols[f"vwap_{w}"] = vwap
        cols[f"vwap_dev_{w}"] = c / vwap - 1
        cols[f"volume_z_{w}"] = ((v - v.rolling_mean(w)) / v.rolling_std(w)).over(by)
    fwd = (c.shift(-HORIZON) / c).log().over(by)
    cols[f"fwd_log_return_{HORIZON}"] = fwd
    cols[f"fwd_up_{HORIZON}"] = (fwd > 0).cast(pl.Float64)
    return (
        pl.scan_parquet(path)
        .with_columns(stage1)
        .select([pl.col(k) for k in KEEP] + [e.alias(n) for n, e in cols.items()])
        .collect()
    )


def polars_peer():
    import polars as pl

    return f"polars {pl.__version__}", polars_frame, lambda df, out: df.write_parquet(out, compression="snappy"), \
        lambda df, out: df.write_csv(out)


# ---------------------------------------------------------------- pandas


def pandas_frame(path):
    """pandas: read_parquet (pyarrow), groupby(...).rolling() per window over the helper
    columns at once, groupby().ewm(), groupby().shift()."""
    import pandas as pd

    df = pd.read_parquet(path)
    c, o, h, l = df["close"], df["open"], df["high"], df["low"]
    v = df["volume"].astype("float64")
    g = df.groupby("symbol", sort=False, observed=True)
    prev = g["close"].shift(1)
    r = np.log(c / prev)
    hl = np.log(h / l)
    helpers = pd.DataFrame({
        "symbol": df["symbol"], "r": r, "p": c, "v": v, "cv": c * v, "hl2": hl**2,
        "gk": 0.5 * hl**2 - (2 * LN2 - 1) * np.log(c / o) ** 2,
        "rs": np.log(h / c) * np.log(h / o) + np.log(l / c) * np.log(l / o),
    })
    hg = helpers.groupby("symbol", sort=False, observed=True)

    def back(res):
        # groupby().rolling() indexes by (symbol, row): back to the input's row order.
        return res.droplevel(0).sort_index()

    out = {"log_return": r}
    rolled = {}
    for w in WINDOWS:
        roll = hg.rolling(w)
        mean = back(roll[["r", "p", "v", "cv", "hl2", "gk", "rs"]].mean())
        std = back(roll[["r", "p", "v"]].std())
        cv_v = back(roll[["cv", "v"]].sum())
        skew, kurt = back(roll["r"].skew()), back(roll["r"].kurt())
        mm = back(roll["p"].agg(["min", "max"]))
        rolled[w] = (mean, std, cv_v, mm)
        out[f"roll_mean_{w}"], out[f"roll_std_{w}"] = mean["r"], std["r"]
        out[f"roll_skew_{w}"], out[f"roll_kurt_{w}"] = skew, kurt
        out[f"zscore_{w}"] = (c - mean["p"]) / std["p"]
    for s in EMA_SPANS:
        out[f"ema_{s}"] = back(hg["p"].ewm(span=s, adjust=False).mean())
    for w in WINDOWS:
        out[f"momentum_{w}"] = c / g["close"].shift(w) - 1
        out[f"roll_min_{w}"], out[f"roll_max_{w}"] = rolled[w][3]["min"], rolled[w][3]["max"]
    m = g.cumcount()
    spec = pd.DataFrame({"symbol": df["symbol"]})
    for k in range(1, SPEC_BINS + 1):
        spec[f"re{k}"], spec[f"im{k}"] = r * np.cos(phase(k, m)), r * np.sin(phase(k, m))
    sums = back(spec.groupby("symbol", sort=False, observed=True).rolling(SPEC_LEN).sum())
    for k in range(1, SPEC_BINS + 1):
        out[f"spec_{k}"] = (sums[f"re{k}"] ** 2 + sums[f"im{k}"] ** 2) / SPEC_LEN
    for w in WINDOWS:
        out[f"log_return_{w}"] = np.log(c / g["close"].shift(w))
    out["bar_range"] = h - l
    out["true_range"] = np.maximum(h, prev) - np.minimum(l, prev)  # NaN where prev is
    out["dollar_volume"] = helpers["cv"]
    for w in WINDOWS:
        mean, std, cv_v, _ = rolled[w]
        vwap = cv_v["cv"] / cv_v["v"]
        out[f"parkinson_{w}"] = np.sqrt(mean["hl2"] / (4 * LN2))
        out[f"garman_klass_{w}"] = np.sqrt(mean["gk"])
        out[f"rogers_satchell_{w}"] = np.sqrt(mean["rs"])
        out[f"vwap_{w}"] = vwap
        out[f"vwap_dev_{w}"] = c / vwap - 1
        out[f"volume_z_{w}"] = (v - mean["v"]) / std["v"]
    fwd = np.log(g["close"].shift(-HORIZON) / c)
    out[f"fwd_log_return_{HORIZON}"] = fwd
    out[f"fwd_up_{HORIZON}"] = (fwd > 0).astype("float64").where(fwd.notna())
    feats = pd.DataFrame({n: np.asarray(s, dtype="float64") for n, s in out.items()}, index=df.index)
    return pd.concat([df[KEEP], feats], axis=1)


def pandas_peer():
    import pandas as pd

    return f"pandas {pd.__version__}", pandas_frame, lambda df, out: df.to_parquet(out, compression="snappy", index=False), \
        lambda df, out: df.to_csv(out, index=False)


PEERS = {"polars": polars_peer, "pandas": pandas_peer}


# ---------------------------------------------------------------- the answer check

# The tolerance of each column: |peer - ours| <= tol * max(|ours|, scale), where scale is the
# column's median |value|: a value that is a sum of terms cancelling to near zero (a rolling
# mean of returns, a z-score near the window's mean) carries the rounding of the terms, not
# of the result, so there a difference is measured against the column's typical size.
# Every column, for every peer: 1e-9, where the worst difference seen at 1M rows (50,000 a
# symbol) is 1.5e-11 (vwap_dev_8, a ratio minus 1) and most are below 1e-13. The exceptions
# are pandas' online rolling moments, which add and remove each value over the whole series
# and so lose digits as it grows: the rolling std of prices (a mean near 200 over a std near
# 0.1 in 8 bars, a condition number near 4e6) puts its zscore_8 9.5e-10 from ours at 1,000
# rows a symbol and 1.5e-7 at 50,000, where the exact value (rational arithmetic) is 1.3e-13
# from ours; its kurtosis reaches 1.8e-9 there. 1e-4 and 1e-6 leave room for the 250,000
# rows a symbol of the full size; Polars holds every one of these columns to 1e-9.
TOL = 1e-9
LOOSE = {"pandas": {"zscore": 1e-4, "roll_skew": 1e-6, "roll_kurt": 1e-6}}


def tolerance(peer, name):
    return next((t for prefix, t in LOOSE.get(peer, {}).items() if name.startswith(prefix)), TOL)


def as_floats(column):
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        column = pc.cast(pc.if_else(pc.equal(column, ""), None, column), pa.float64())
    return column.cast(pa.float64()).to_numpy(zero_copy_only=False)


def where(ours, i):
    """Row `i` of the output, with its symbol and its position in that symbol's series."""
    import pyarrow.compute as pc

    symbols = pc.cast(ours.column("symbol"), "string")
    s = symbols[i].as_py()
    k = pc.sum(pc.equal(symbols.slice(0, i), s)).as_py() or 0
    return f"row {i} (0-based; symbol {s}, row {k} of its series)"


def compare_columns(who, key, table, ours):
    """The worst difference per feature column of `table` against `ours`; raises on the first
    column outside its tolerance, naming the row."""
    import pyarrow.compute as pc

    if table.num_rows != ours.num_rows:
        raise SystemExit(f"check: {who}: {table.num_rows} rows, ours {ours.num_rows}")
    symbols = lambda t: pc.cast(t.column("symbol"), "string")
    if not pc.all(pc.equal(symbols(table), symbols(ours))).as_py():
        raise SystemExit(f"check: {who}: the symbol column differs from ours (rows out of order?)")
    if not np.array_equal(as_floats(table.column("close")), as_floats(ours.column("close"))):
        raise SystemExit(f"check: {who}: the close column differs from ours (rows out of order?)")
    worst = {}
    for name in feature_names():
        if name not in table.column_names:
            raise SystemExit(f"check: {who}: no column {name}")
        a, b = as_floats(table.column(name)), as_floats(ours.column(name))
        missing_a, missing_b = np.isnan(a), np.isnan(b)
        if (missing_a != missing_b).any():
            i = int(np.argmax(missing_a != missing_b))
            raise SystemExit(f"check: {who}: {name} {where(ours, i)}: {float(a[i])!r}, ours {float(b[i])!r} (empty in one only)")
        scale = float(np.median(np.abs(b[~missing_b]))) if (~missing_b).any() else 0.0
        err = np.abs(a - b) / np.maximum(np.abs(b), max(scale, 1e-300))
        err[missing_b] = 0.0
        i = int(np.argmax(err)) if err.size else 0
        e = float(err[i]) if err.size else 0.0
        worst[name] = {"rel": e, "row": i, "tolerance": tolerance(key, name)}
        if e > tolerance(key, name):
            raise SystemExit(f"check: {who}: {name} {where(ours, i)}: {float(a[i])!r}, ours {float(b[i])!r}: "
                             f"relative difference {e:.2e} > {tolerance(key, name):g}")
    return worst


def check(data):
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    ours = pq.read_table(os.path.join(data, "ours.parquet"))
    report = {"rows": ours.num_rows, "features": len(feature_names()), "tolerance": TOL, "loose": LOOSE, "peers": {}}
    # Our CSV holds the values of our Parquet file, digit for digit (shortest round trip).
    ours_csv = pcsv.read_csv(os.path.join(data, "ours.csv"), convert_options=pcsv.ConvertOptions(strings_can_be_null=True))
    csv_worst = compare_columns("ours.csv against ours.parquet", "ours", ours_csv, ours)
    report["csv"] = max(w["rel"] for w in csv_worst.values())
    if report["csv"] != 0.0:
        raise SystemExit(f"check: our CSV and Parquet outputs differ by up to {report['csv']:.1e}")
    for key, peer in PEERS.items():
        label, frame, write_parquet, _ = peer()
        out = os.path.join(data, f"{key}.parquet")
        write_parquet(frame(os.path.join(data, "bars.parquet")), out)
        worst = compare_columns(label, key, pq.read_table(out), ours)
        report["peers"][key] = {"peer": label, "columns": worst}
        top = max(worst.items(), key=lambda kv: kv[1]["rel"] / kv[1]["tolerance"])
        print(f"check: {label}: every column agrees; closest to its tolerance: {top[0]} "
              f"{top[1]['rel']:.1e} (tol {top[1]['tolerance']:g}) at row {top[1]['row']}", file=sys.stderr)
    json.dump(report, open(os.path.join(data, "check.json"), "w"), indent=1)


# ---------------------------------------------------------------- timings


def timed(fn):
    # The dirty pages of earlier steps (ours or another peer's gigabytes) are written back
    # first, untimed, as the Rust side does before each `mlp` run.
    os.sync()
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def time_peers(data, round_, threads):
    """Each peer end to end: read + compute, then write Parquet, then (same frame) write CSV;
    the Parquet row is read + compute + Parquet write, the CSV row read + compute + CSV write.
    pandas computes on one thread whatever the count, so it runs at one thread only; its
    to_csv (about 8 MB/s here: 12 minutes for the 6 GB of CSV of 5M rows) in the first round
    only, where the other rows get a median of every round."""
    bars = os.path.join(data, "bars.parquet")
    results = []
    for key, peer in PEERS.items():
        if key == "pandas" and threads > 1:
            continue
        label, frame, write_parquet, write_csv = peer()
        compute_s, df = timed(lambda: frame(bars))
        pq_out, csv_out = os.path.join(data, f"{key}_t.parquet"), os.path.join(data, f"{key}_t.csv")
        pq_s, _ = timed(lambda: write_parquet(df, pq_out))
        outputs = [("parquet", pq_s, pq_out)]
        if key != "pandas" or round_ == "1":
            csv_s, _ = timed(lambda: write_csv(df, csv_out))
            outputs.append(("csv", csv_s, csv_out))
        del df
        for kind, write_s, path in outputs:
            results.append({
                "id": f"{kind}_{threads}t", "peer": label, "threads": threads,
                "seconds": compute_s + write_s, "write_seconds": write_s, "out_bytes": os.path.getsize(path),
            })
            print(f"peers: {label} {kind} at {threads} thread(s): {compute_s + write_s:.3f} s "
                  f"(write {write_s:.3f} s, {os.path.getsize(path) / 1e6:.1f} MB)", file=sys.stderr)
        for _, _, path in outputs:
            os.remove(path)
    out = {"round": round_, "threads": threads, "results": results}
    json.dump(out, open(os.path.join(data, f"peers_{round_}_{threads}t.json"), "w"), indent=1)


def main():
    match sys.argv[1:]:
        case ["check", data]:
            check(data)
        case ["time", data, round_, threads]:
            time_peers(data, round_, int(threads))
        case _:
            raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
