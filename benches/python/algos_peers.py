"""Peer timings for the `algos` bench: SciPy's oaconvolve and scikit-learn's randomized_svd.

Run by `cargo bench -p benches --bench algos` (which writes the inputs as .npy files and
sets OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1); prints one JSON object
per measurement on stdout.

    python algos_peers.py conv DIR REPS
    python algos_peers.py rsvd DIR REPS RANK
"""

import json
import os
import sys
import time

import numpy as np


def median_seconds(fn, reps):
    fn()  # warm-up: imports, plans, page faults
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), float(min(times))


def single_thread():
    try:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=1)
    except ImportError:
        return None


def conv(d, reps):
    from scipy.signal import oaconvolve, fftconvolve

    x = np.load(os.path.join(d, "conv_signal.npy"))
    h = np.load(os.path.join(d, "conv_kernel.npy"))
    ref = np.load(os.path.join(d, "conv_rust.npy"))
    y = oaconvolve(x, h)
    err = float(np.linalg.norm(y - ref) / np.linalg.norm(y))
    med, best = median_seconds(lambda: oaconvolve(x, h), reps)
    print(json.dumps({"what": "scipy.signal.oaconvolve", "n": len(x), "k": len(h),
                      "median_s": med, "min_s": best, "rel_diff_vs_rust": err}))
    med, best = median_seconds(lambda: fftconvolve(x, h), reps)
    print(json.dumps({"what": "scipy.signal.fftconvolve", "n": len(x), "k": len(h),
                      "median_s": med, "min_s": best}))


def rsvd(d, reps, rank):
    from sklearn.utils.extmath import randomized_svd

    a = np.load(os.path.join(d, "rsvd_a.npy"))
    fro2 = float(np.sum(a * a))

    def run():
        return randomized_svd(a, rank, random_state=0)

    u, s, vt = run()
    # ||A - U S V^T||_F^2 = ||A||_F^2 - ||S||^2 when U, V have orthonormal columns and
    # U^T A V = S (true for the Rayleigh-Ritz output); computed directly to be safe.
    resid = float(np.linalg.norm(a - (u * s) @ vt))
    med, best = median_seconds(run, reps)
    print(json.dumps({"what": "sklearn.utils.extmath.randomized_svd", "m": a.shape[0],
                      "n": a.shape[1], "rank": rank, "median_s": med, "min_s": best,
                      "residual_fro": resid, "norm_fro": fro2 ** 0.5,
                      "s_top": [float(v) for v in s[:5]]}))


def main():
    limits = single_thread()
    what, d, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if what == "conv":
        conv(d, reps)
    elif what == "rsvd":
        rsvd(d, reps, int(sys.argv[4]))
    else:
        raise SystemExit(f"unknown peer benchmark {what!r}")
    del limits


if __name__ == "__main__":
    main()
