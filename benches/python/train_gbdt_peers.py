"""GBDT training time and test quality of LightGBM (and XGBoost hist), the peers of our
histogram trainer (issue 17), on seeded synthetic data shared with the Rust side.

Usage: train_gbdt_peers.py DIR [N_TRAIN]

Writes DIR/train_x.f64, train_y.f64, test_x.f64, test_y.f64 (float64, row-major, little
endian) and DIR/manifest.json on first use (a regression target: a sum of smooth and
step functions of 20 features plus noise; 5% missing values), then trains LightGBM 4.x
and XGBoost 3.x (`hist`) with the same hyperparameters as `train_gbdt` (100 trees,
num_leaves 31 / max_leaves 31 leaf-wise, learning rate 0.1, max_bin 255, min_data_in_leaf
20) on 1 and 2 threads, best of 3 runs each, and prints one JSON object: seconds and test
RMSE per contender.
"""
import json
import os
import sys
import time

import numpy as np

N_FEATURES = 20
N_TEST = 50_000
TREES = 100


def make(dir_, n_train):
    rng = np.random.default_rng(17)
    n = n_train + N_TEST
    x = rng.normal(size=(n, N_FEATURES))
    y = (
        np.sin(x[:, 0]) * 2
        + (x[:, 1] > 0.3) * 1.5
        + x[:, 2] * x[:, 3]
        + np.where(x[:, 4] < -1, -2.0, 0.5 * x[:, 4])
        + 0.3 * x[:, 5:10].sum(axis=1)
        + rng.normal(scale=0.5, size=n)
    )
    x[rng.random(size=x.shape) < 0.05] = np.nan
    os.makedirs(dir_, exist_ok=True)
    x[:n_train].astype("<f8").tofile(os.path.join(dir_, "train_x.f64"))
    y[:n_train].astype("<f8").tofile(os.path.join(dir_, "train_y.f64"))
    x[n_train:].astype("<f8").tofile(os.path.join(dir_, "test_x.f64"))
    y[n_train:].astype("<f8").tofile(os.path.join(dir_, "test_y.f64"))
    with open(os.path.join(dir_, "manifest.json"), "w") as f:
        json.dump({"train": n_train, "test": N_TEST, "features": N_FEATURES, "trees": TREES}, f)


def load(dir_):
    m = json.load(open(os.path.join(dir_, "manifest.json")))
    rd = lambda name, rows, cols: np.fromfile(os.path.join(dir_, name), dtype="<f8").reshape(rows, cols) if cols else np.fromfile(os.path.join(dir_, name), dtype="<f8")
    return (
        rd("train_x.f64", m["train"], m["features"]),
        rd("train_y.f64", m["train"], 0),
        rd("test_x.f64", m["test"], m["features"]),
        rd("test_y.f64", m["test"], 0),
    )


def best_of(fn, runs=3):
    best, out = float("inf"), None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main():
    dir_ = sys.argv[1]
    n_train = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    if not os.path.exists(os.path.join(dir_, "manifest.json")):
        make(dir_, n_train)
    x, y, xt, yt = load(dir_)
    rmse = lambda p: float(np.sqrt(np.mean((p - yt) ** 2)))
    result = {}
    import lightgbm as lgb

    for threads in (1, 2):
        params = dict(objective="regression", num_leaves=31, learning_rate=0.1, max_bin=255,
                      min_data_in_leaf=20, num_threads=threads, verbose=-1, seed=0,
                      deterministic=True)

        def fit():
            ds = lgb.Dataset(x, y, params={"max_bin": 255, "verbose": -1})
            return lgb.train(params, ds, num_boost_round=TREES)

        secs, model = best_of(fit)
        result[f"lightgbm_{threads}t"] = {"version": lgb.__version__, "seconds": secs, "test_rmse": rmse(model.predict(xt))}
    import xgboost as xgb

    for threads in (1, 2):
        params = dict(objective="reg:squarederror", tree_method="hist", grow_policy="lossguide",
                      max_leaves=31, max_depth=0, eta=0.1, max_bin=255, min_child_weight=1e-3,
                      nthread=threads, seed=0)

        def fit():
            d = xgb.DMatrix(x, y, nthread=threads)
            return xgb.train(params, d, num_boost_round=TREES)

        secs, model = best_of(fit)
        p = model.predict(xgb.DMatrix(xt))
        result[f"xgboost_{threads}t"] = {"version": xgb.__version__, "seconds": secs, "test_rmse": rmse(p)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
