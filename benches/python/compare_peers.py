"""Peer timings for `cargo xtask compare`: numpy, SciPy, scikit-learn, pandas and Polars on
the files the Rust side wrote, single-threaded, with answers checked against ours.

Usage: compare_peers.py DATA_DIR ROUND   (writes DATA_DIR/peers_ROUND.json)

Every operation is timed as the median of several runs. Before a time is reported, the
peer's answer is compared with the answer our code wrote (ours_<id>.f64); the largest
relative difference and whether it is within the stated tolerance go into the JSON.
"""
import json
import mmap
import os
import sys
import time

import numpy as np

DATA, ROUND = sys.argv[1], sys.argv[2]
MANIFEST = json.load(open(os.path.join(DATA, "manifest.json")))


def load(name):
    shape = MANIFEST["arrays"][name]
    a = np.fromfile(os.path.join(DATA, name + ".f64"), dtype="<f8")
    # Matrices are stored column-major, as the Rust side keeps them.
    return a.reshape(shape[::-1]).T if len(shape) == 2 else a


def ours(op_id):
    path = os.path.join(DATA, f"ours_{op_id}.f64")
    return np.fromfile(path, dtype="<f8") if os.path.exists(path) else None


def median_time(fn, reps):
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def agreement(op_id, peer_values, rtol, atol=0.0):
    mine = ours(op_id)
    if mine is None:
        return {"checked": False, "max_rel_diff": None, "tolerance": rtol, "ok": False, "why": "ours missing"}
    p = np.asarray(peer_values, dtype=float).ravel()
    if p.shape != mine.shape:
        return {"checked": True, "ok": False, "why": f"shape {p.shape} vs ours {mine.shape}", "tolerance": rtol, "max_rel_diff": None}
    both_nan = np.isnan(p) & np.isnan(mine)
    diff = np.abs(p - mine)
    scale = np.maximum(np.abs(p), 1e-300)
    rel = np.where(both_nan, 0.0, diff / scale)
    ok_elem = both_nan | (diff <= rtol * np.abs(p) + atol)
    # Largest difference relative to the value, with values under the absolute tolerance
    # measured against that tolerance instead (so near-zero values don't blow it up).
    rel = np.where(both_nan, 0.0, diff / np.maximum(np.abs(p), max(atol, 1e-300)))
    worst = float(np.nanmax(rel)) if rel.size else 0.0
    return {"checked": True, "max_rel_diff": worst, "tolerance": rtol, "abs_tolerance": atol, "ok": bool(ok_elem.all())}


results = []


def record(op_id, what, peer, seconds, agree):
    results.append({"id": op_id, "what": what, "peer": peer, "seconds": seconds, "agreement": agree})


def blas_kernels():
    """Which OpenBLAS kernels numpy loaded (xtask may cap them with OPENBLAS_CORETYPE)."""
    try:
        import threadpoolctl
    except ImportError:
        return "OpenBLAS"
    for lib in threadpoolctl.threadpool_info():
        if lib.get("internal_api") == "openblas" and "numpy" in lib.get("filepath", ""):
            return f"OpenBLAS, {lib.get('architecture', 'unknown')} kernels"
    return "OpenBLAS"


# BLAS-backed peers must be single-threaded: OMP/OPENBLAS/MKL_NUM_THREADS=1 are set by xtask.
BLAS = blas_kernels()
a, b = load("mat_a"), load("mat_b")
a, b = np.asfortranarray(a), np.asfortranarray(b)
t, c = median_time(lambda: a @ b, 5)
record("matmul_1024", "matmul f64 1024x1024", f"numpy {np.__version__} ({BLAS})", t, agreement("matmul_1024", np.asarray(c).T.ravel(), 1e-12, 1e-9))
c_out = np.empty((a.shape[0], b.shape[1]), order="F")
t, c = median_time(lambda: np.matmul(a, b, out=c_out), 5)
record("matmul_1024_into", "matmul f64 1024x1024 into a caller's buffer", f"numpy {np.__version__} ({BLAS})", t, agreement("matmul_1024_into", np.asarray(c_out).T.ravel(), 1e-12, 1e-9))

x, y = load("vec_x"), load("vec_y")
t, v = median_time(lambda: np.dot(x, y), 21)
record("dot_1M", "dot f64, n = 1M", f"numpy {np.__version__}", t, agreement("dot_1M", [v], 1e-10))


def unadvised(v):
    """A copy of `v` in a fresh anonymous mapping: numpy advises the kernel to back its large
    arrays with huge pages, and this memory has no such advice (ours is a plain Vec)."""
    out = np.ndarray(v.shape, dtype=v.dtype, buffer=mmap.mmap(-1, v.nbytes))
    out[:] = v
    return out


x4, y4 = unadvised(x), unadvised(y)
t, v = median_time(lambda: np.dot(x4, y4), 21)
record("dot_1M_small_pages", "dot f64, n = 1M, memory without huge-page advice", f"numpy {np.__version__}", t, agreement("dot_1M_small_pages", [v], 1e-10))
del x4, y4
t, v = median_time(lambda: np.sum(x), 21)
record("sum_1M", "sum f64, n = 1M", f"numpy {np.__version__}", t, agreement("sum_1M", [v], 1e-10))
t, v = median_time(lambda: np.var(x, ddof=1), 21)
record("var_1M", "variance (ddof 1), n = 1M", f"numpy {np.__version__}", t, agreement("var_1M", [v], 1e-12))

import sklearn
from sklearn.linear_model import LogisticRegression, Ridge

rx, ry = load("ridge_x"), load("ridge_y")
rx = np.ascontiguousarray(rx)
t, m = median_time(lambda: Ridge(alpha=1.0).fit(rx, ry), 3)
record("ridge_1M_x_64", "Ridge(alpha=1) fit, 1M x 64", f"scikit-learn {sklearn.__version__}", t,
       agreement("ridge_1M_x_64", np.concatenate([[m.intercept_], m.coef_]), 1e-8))

lx, ly = np.ascontiguousarray(load("logit_x")), load("logit_y")
t, m = median_time(lambda: LogisticRegression(C=1.0).fit(lx, ly), 3)
# scikit-learn stops at tol=1e-4 by default; ours runs Newton to convergence, so the
# comparison allows 1e-3.
record("logistic_100k_x_16", "LogisticRegression(C=1) fit, 100k x 16", f"scikit-learn {sklearn.__version__}", t,
       agreement("logistic_100k_x_16", np.concatenate([m.intercept_, m.coef_.ravel()]), 1e-3, 1e-4))

from sklearn.decomposition import PCA
from sklearn.utils.extmath import randomized_svd

px = np.ascontiguousarray(load("pca_x"))
t, m = median_time(lambda: PCA(n_components=8).fit(px), 3)
record("pca_100k_x_64", "PCA(n_components=8) fit, 100k x 64", f"scikit-learn {sklearn.__version__}", t,
       agreement("pca_100k_x_64", m.explained_variance_, 1e-6))
sa = np.asfortranarray(load("svd_a"))
t, (u, sv, vt) = median_time(lambda: randomized_svd(sa, 50, random_state=0), 3)
record("rsvd_10k_x_2k_r50", "randomized_svd rank 50, 10000 x 2000", f"scikit-learn {sklearn.__version__}", t,
       agreement("rsvd_10k_x_2k_r50", sv, 1e-6))

import pandas as pd
import polars as pl

prices = load("prices")
r = np.log(prices[1:] / prices[:-1])
r = np.concatenate([[np.nan], r])
W = MANIFEST["window"]


def pandas_rolling():
    s = pd.Series(r)
    roll = s.rolling(W)
    return np.concatenate([roll.mean().to_numpy(), roll.std().to_numpy(), roll.skew().to_numpy(), roll.kurt().to_numpy()])


def polars_rolling():
    s = pl.Series("r", r, nan_to_null=True)
    return np.concatenate([
        s.rolling_mean(W).to_numpy(),
        s.rolling_std(W, ddof=1).to_numpy(),
        s.rolling_skew(W, bias=False).to_numpy(),
        s.rolling_kurtosis(W, fisher=True, bias=False).to_numpy(),
    ])


t, v = median_time(pandas_rolling, 3)
record("rolling_1M_w64", f"rolling mean+std+skew+kurt, 1M, w = {W}", f"pandas {pd.__version__}", t, agreement("rolling_1M_w64", v, 1e-9, 1e-12))
t, v = median_time(polars_rolling, 3)
record("rolling_1M_w64", f"rolling mean+std+skew+kurt, 1M, w = {W}", f"polars {pl.__version__}", t, agreement("rolling_1M_w64", v, 1e-6, 1e-12))

if "conv_signal" in MANIFEST["arrays"]:
    from scipy import signal as sps
    import scipy

    sig, ker = load("conv_signal"), load("conv_kernel")
    t, v = median_time(lambda: sps.oaconvolve(sig, ker), 5)
    record("conv_1M_x_1024", "convolution 1M x 1024 (full)", f"scipy {scipy.__version__} oaconvolve", t, agreement("conv_1M_x_1024", v, 1e-9, 1e-9))
    t, v = median_time(lambda: sps.fftconvolve(sig, ker), 5)
    record("conv_1M_x_1024", "convolution 1M x 1024 (full)", f"scipy {scipy.__version__} fftconvolve", t, agreement("conv_1M_x_1024", v, 1e-9, 1e-9))

json.dump({"round": ROUND, "results": results}, open(os.path.join(DATA, f"peers_{ROUND}.json"), "w"), indent=1)
