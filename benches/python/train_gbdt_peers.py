"""GBDT training time and test quality of LightGBM (and XGBoost hist), the peers of our
histogram trainer (issue 17), on seeded synthetic data shared with the Rust side.

Usage: train_gbdt_peers.py DIR [N_TRAIN [N_FEATURES [NUM_LEAVES [RUNS]]]]
       train_gbdt_peers.py quality DIR
(defaults 200000, 20, 31, 3; `cargo xtask compare-gbdt` passes the issue's sizes and 63 leaves)

Writes DIR/train_x.f64, train_y.f64, test_x.f64, test_y.f64 (float64, row-major, little
endian) and DIR/manifest.json on first use (a regression target: a sum of smooth and
step functions and an interaction of the first 10 features plus noise, the other
features noise; 10% missing values), then trains LightGBM 4.x and XGBoost 3.x (`hist`)
with the hyperparameters of the manifest, which `train_gbdt` reads too (100 trees,
num_leaves / max_leaves leaf-wise, learning rate 0.1, max_bin 255, min_data_in_leaf 20)
on 1 and 2 threads, best of RUNS runs each (each run builds its dataset: binning counts as
training, as it does in ours), and writes DIR/peers.json: seconds and test RMSE per
contender, and the process's peak resident memory after LightGBM's runs.

`quality DIR` derives labels of the other objectives from the regression target (binary:
above the training median; three classes: the training tertiles; the 0.9 quantile of the
target itself) into DIR/train_y_NAME.f64 and test_y_NAME.f64, trains LightGBM on each with
the same hyperparameters on 2 threads, and writes DIR/peers_quality.json: the test metric
(binary_logloss, multi_logloss, quantile) per objective.
"""
import json
import os
import resource
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


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def best_of(fn, runs):
    best, out = float("inf"), None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def lgb_params(num_leaves, threads, **objective):
    base = dict(objective="regression", num_leaves=num_leaves, learning_rate=0.1, max_bin=255,
                min_data_in_leaf=20, num_threads=threads, verbose=-1, seed=0, deterministic=True)
    return {**base, **objective}


def quality(dir_):
    import lightgbm as lgb

    x, y, xt, yt = load(dir_)
    num_leaves = json.load(open(os.path.join(dir_, "manifest.json")))["num_leaves"]
    median = np.median(y)
    tertiles = np.quantile(y, [1 / 3, 2 / 3])
    labels = {
        "binary": lambda v: (v > median).astype("<f8"),
        "multiclass": lambda v: np.digitize(v, tertiles).astype("<f8"),
        "quantile": lambda v: v,
    }
    cases = {
        "binary": (dict(objective="binary"), "binary_logloss"),
        "multiclass": (dict(objective="multiclass", num_class=3), "multi_logloss"),
        "quantile": (dict(objective="quantile", alpha=0.9), "quantile"),
    }
    result = {}
    for name, (objective, metric) in cases.items():
        tr, te = labels[name](y), labels[name](yt)
        tr.astype("<f8").tofile(os.path.join(dir_, f"train_y_{name}.f64"))
        te.astype("<f8").tofile(os.path.join(dir_, f"test_y_{name}.f64"))
        params = lgb_params(num_leaves, 2, **objective)
        t = time.perf_counter()
        model = lgb.train(params, lgb.Dataset(x, tr, params={"max_bin": 255, "verbose": -1}),
                          num_boost_round=TREES)
        secs = time.perf_counter() - t
        p = model.predict(xt)
        if metric == "binary_logloss":
            q = np.clip(p, 1e-15, 1 - 1e-15)
            value = -np.mean(te * np.log(q) + (1 - te) * np.log(1 - q))
        elif metric == "multi_logloss":
            value = -np.mean(np.log(np.clip(p[np.arange(len(te)), te.astype(int)], 1e-15, 1)))
        else:
            d = te - p
            value = np.mean(np.where(d >= 0, 0.9 * d, -0.1 * d))
        result[name] = {"version": lgb.__version__, "seconds": secs, "metric": metric,
                        "value": float(value)}
        print(name, result[name], flush=True)
    with open(os.path.join(dir_, "peers_quality.json"), "w") as f:
        json.dump(result, f)


def main():
    if sys.argv[1] == "quality":
        quality(sys.argv[2])
        return
    dir_ = sys.argv[1]
    n_train = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    n_features = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    num_leaves = int(sys.argv[4]) if len(sys.argv) > 4 else 31
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    if not os.path.exists(os.path.join(dir_, "manifest.json")):
        make(dir_, n_train, n_features, num_leaves)
    num_leaves = json.load(open(os.path.join(dir_, "manifest.json")))["num_leaves"]
    x, y, xt, yt = load(dir_)
    rmse = lambda p: float(np.sqrt(np.mean((p - yt) ** 2)))
    result = {}
    import lightgbm as lgb

    for threads in (1, 2):
        params = lgb_params(num_leaves, threads)

        def fit():
            ds = lgb.Dataset(x, y, params={"max_bin": 255, "verbose": -1})
            return lgb.train(params, ds, num_boost_round=TREES)

        secs, model = best_of(fit, runs)
        result[f"lightgbm_{threads}t"] = {"version": lgb.__version__, "seconds": secs,
                                          "test_rmse": rmse(model.predict(xt)),
                                          "peak_rss_bytes": peak_rss_bytes()}
    import xgboost as xgb

    for threads in (1, 2):
        params = dict(objective="reg:squarederror", tree_method="hist", grow_policy="lossguide",
                      max_leaves=num_leaves, max_depth=0, eta=0.1, max_bin=255, min_child_weight=1e-3,
                      nthread=threads, seed=0)

        def fit():
            d = xgb.DMatrix(x, y, nthread=threads)
            return xgb.train(params, d, num_boost_round=TREES)

        secs, model = best_of(fit, runs)
        p = model.predict(xgb.DMatrix(xt))
        result[f"xgboost_{threads}t"] = {"version": xgb.__version__, "seconds": secs, "test_rmse": rmse(p)}
    with open(os.path.join(dir_, "peers.json"), "w") as f:
        json.dump(result, f)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
