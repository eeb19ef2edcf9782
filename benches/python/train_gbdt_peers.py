"""GBDT training time and test quality of LightGBM (and XGBoost hist), the peers of our
histogram trainer (issue 17), on seeded synthetic data shared with the Rust side.

Usage: train_gbdt_peers.py DIR [N_TRAIN [N_FEATURES [NUM_LEAVES]]]
(defaults 200000, 20, 31; `cargo xtask compare-gbdt` passes the issue's sizes and 63 leaves)

Writes DIR/train_x.f64, train_y.f64, test_x.f64, test_y.f64 (float64, row-major, little
endian) and DIR/manifest.json on first use (a regression target: a sum of smooth and
step functions and an interaction of the first 10 features plus noise, the other
features noise; 10% missing values), then trains LightGBM 4.x and XGBoost 3.x (`hist`)
with the hyperparameters of the manifest, which `train_gbdt` reads too (100 trees,
num_leaves / max_leaves leaf-wise, learning rate 0.1, max_bin 255, min_data_in_leaf 20)
on 1 and 2 threads, best of 3 runs each (each run builds its dataset: binning counts as
training, as it does in ours), and writes DIR/peers.json: seconds and test RMSE per
contender.
"""
import json
import os
import sys
import time

import numpy as np

N_TEST = 50_000
TREES = 100
MISSING = 0.10


def make(dir_, n_train, n_features, num_leaves):
    rng = np.random.default_rng(17)
    n = n_train + N_TEST
    x = rng.normal(size=(n, n_features))
    y = (
        np.sin(x[:, 0]) * 2
        + (x[:, 1] > 0.3) * 1.5
        + x[:, 2] * x[:, 3]
        + np.where(x[:, 4] < -1, -2.0, 0.5 * x[:, 4])
        + 0.3 * x[:, 5:10].sum(axis=1)
        + rng.normal(scale=0.5, size=n)
    )
    x[rng.random(size=x.shape) < MISSING] = np.nan
    os.makedirs(dir_, exist_ok=True)
    x[:n_train].astype("<f8").tofile(os.path.join(dir_, "train_x.f64"))
    y[:n_train].astype("<f8").tofile(os.path.join(dir_, "train_y.f64"))
    x[n_train:].astype("<f8").tofile(os.path.join(dir_, "test_x.f64"))
    y[n_train:].astype("<f8").tofile(os.path.join(dir_, "test_y.f64"))
    with open(os.path.join(dir_, "manifest.json"), "w") as f:
        json.dump({"train": n_train, "test": N_TEST, "features": n_features, "trees": TREES,
                   "num_leaves": num_leaves, "missing": MISSING}, f)


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
    n_features = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    num_leaves = int(sys.argv[4]) if len(sys.argv) > 4 else 31
    if not os.path.exists(os.path.join(dir_, "manifest.json")):
        make(dir_, n_train, n_features, num_leaves)
    num_leaves = json.load(open(os.path.join(dir_, "manifest.json")))["num_leaves"]
    x, y, xt, yt = load(dir_)
    rmse = lambda p: float(np.sqrt(np.mean((p - yt) ** 2)))
    result = {}
    import lightgbm as lgb

    for threads in (1, 2):
        params = dict(objective="regression", num_leaves=num_leaves, learning_rate=0.1, max_bin=255,
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
                      max_leaves=num_leaves, max_depth=0, eta=0.1, max_bin=255, min_child_weight=1e-3,
                      nthread=threads, seed=0)

        def fit():
            d = xgb.DMatrix(x, y, nthread=threads)
            return xgb.train(params, d, num_boost_round=TREES)

        secs, model = best_of(fit)
        p = model.predict(xgb.DMatrix(xt))
        result[f"xgboost_{threads}t"] = {"version": xgb.__version__, "seconds": secs, "test_rmse": rmse(p)}
    with open(os.path.join(dir_, "peers.json"), "w") as f:
        json.dump(result, f)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
