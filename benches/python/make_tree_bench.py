"""The tree-ensemble bench model and rows, made by the real libraries (issue 16's speed part).

Pinned versions (Python 3.12; the venv `cargo xtask compare-trees` creates):

    xgboost==3.4.1  lightgbm==4.7.0  numpy==2.5.5

Usage: make_tree_bench.py OUT_DIR [N_ROWS]

Trains, on seeded synthetic regression data (50 features, 100k rows), two models of the
issue's shape, 500 trees of depth 6:

- xgb.json: XGBoost `reg:squarederror`, max_depth 6, 500 rounds (Booster.save_model);
- lgb.txt:  LightGBM `regression`, max_depth 6, num_leaves 64, 500 rounds;

and writes the rows to predict, rows.f64: N_ROWS (default 1M) x 50 float64, row-major,
little-endian, drawn from the training distribution with a different seed (no NaN: the
speed of the common path is measured; NaN handling is tested by the fixtures), plus
manifest.json with the shapes. One thread and fixed seeds, so reruns write the same files.
"""
import json
import os
import sys

import lightgbm as lgb
import numpy as np
import xgboost as xgb

N_FEATURES = 50
N_TRAIN = 100_000
TREES = 500
DEPTH = 6


def data(rng, n):
    x = rng.standard_normal((n, N_FEATURES))
    # A target with interactions and thresholds, so every level of every tree splits.
    w = np.linspace(1.0, 0.02, N_FEATURES)
    y = x @ w + np.sin(3 * x[:, 0]) * x[:, 1] + (x[:, 2] > 0.5) * x[:, 3] ** 2
    y += 0.1 * rng.standard_normal(n)
    return x, y


def main():
    out = sys.argv[1]
    n_rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    os.makedirs(out, exist_ok=True)
    x, y = data(np.random.default_rng(16), N_TRAIN)

    booster = xgb.train(
        {"objective": "reg:squarederror", "max_depth": DEPTH, "eta": 0.1, "nthread": 2,
         "tree_method": "hist", "seed": 16},
        xgb.DMatrix(x, label=y), num_boost_round=TREES)
    booster.save_model(os.path.join(out, "xgb.json"))

    model = lgb.train(
        {"objective": "regression", "max_depth": DEPTH, "num_leaves": 2 ** DEPTH,
         "learning_rate": 0.1, "min_data_in_leaf": 5, "num_threads": 2, "seed": 16,
         "deterministic": True, "verbose": -1},
        lgb.Dataset(x, label=y), num_boost_round=TREES)
    model.save_model(os.path.join(out, "lgb.txt"))

    rows = np.random.default_rng(17).standard_normal((n_rows, N_FEATURES))
    rows.astype("<f8").tofile(os.path.join(out, "rows.f64"))
    manifest = {"rows": n_rows, "features": N_FEATURES, "trees": TREES, "depth": DEPTH,
                "xgboost": xgb.__version__, "lightgbm": lgb.__version__}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
