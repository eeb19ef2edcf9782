"""The input of the end-to-end rows of `cargo xtask compare` (issue 15): OHLCV bars of 20
symbols in long format, written once as Parquet so that `mlp features` and its peers read
the very same file.

Usage: e2e_data.py PATH ROWS   (writes PATH unless it already holds ROWS rows)

Each timestamp (one minute apart) has one bar per symbol, the symbols always in the same
order, so the rows of a symbol are interleaved with the others' as a market data file
has them. Fixed seed: the same ROWS give the same file. Prices follow a geometric random
walk per symbol (its own volatility); the open is the previous close moved a little, the
high and low lie beyond both open and close, the volume is a non-negative integer.
Columns: date (timestamp[ns]), symbol (dictionary-encoded string), open, high, low, close
(float64), volume (int64); Snappy-compressed.
"""
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SYMBOLS = 20
SEED = 15


def bars(rows):
    rng = np.random.default_rng(SEED)
    steps = -(-rows // SYMBOLS)
    vol = rng.uniform(5e-4, 2e-3, SYMBOLS)
    start = rng.uniform(20.0, 500.0, SYMBOLS)
    # (steps, SYMBOLS): row t * SYMBOLS + s of the file is symbol s at step t.
    log_close = np.log(start) + np.cumsum(rng.standard_normal((steps, SYMBOLS)) * vol, axis=0)
    close = np.exp(log_close)
    prev = np.vstack([start[None, :], close[:-1]])
    open_ = prev * np.exp(rng.standard_normal((steps, SYMBOLS)) * vol * 0.2)
    top = np.maximum(open_, close)
    bottom = np.minimum(open_, close)
    high = top * np.exp(np.abs(rng.standard_normal((steps, SYMBOLS))) * vol * 0.5)
    low = bottom * np.exp(-np.abs(rng.standard_normal((steps, SYMBOLS))) * vol * 0.5)
    volume = rng.lognormal(8.0, 1.0, (steps, SYMBOLS)).astype(np.int64)
    minutes = np.datetime64("2020-01-01T00:00", "ns") + np.arange(steps) * np.timedelta64(60, "s")
    flat = lambda a: a.reshape(-1)[:rows]
    names = np.array([f"S{s:02d}" for s in range(SYMBOLS)])
    return pa.table(
        {
            "date": pa.array(flat(np.repeat(minutes, SYMBOLS).reshape(steps, SYMBOLS))),
            "symbol": pa.DictionaryArray.from_arrays(
                pa.array(flat(np.tile(np.arange(SYMBOLS, dtype=np.int32), (steps, 1)))),
                pa.array(names),
            ),
            "open": flat(open_),
            "high": flat(high),
            "low": flat(low),
            "close": flat(close),
            "volume": flat(volume),
        }
    )


def main():
    path, rows = sys.argv[1], int(sys.argv[2])
    if os.path.exists(path) and pq.ParquetFile(path).metadata.num_rows == rows:
        print(f"e2e_data: {path} already holds {rows} rows", file=sys.stderr)
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    pq.write_table(bars(rows), tmp, compression="snappy")
    os.replace(tmp, path)
    print(f"e2e_data: wrote {path} ({rows} rows, {SYMBOLS} symbols)", file=sys.stderr)


if __name__ == "__main__":
    main()
