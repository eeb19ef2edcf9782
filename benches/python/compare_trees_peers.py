"""Peer timings for `cargo xtask compare-trees`: XGBoost, LightGBM, Treelite + TL2cgen,
lleaves and ONNX Runtime on the model files and rows the bench uses, one thread each.

Usage: compare_trees_peers.py DATA_DIR ROUND   (writes DATA_DIR/peers_ROUND.json)

Per model (xgb.json, lgb.txt) and peer: single-row latency (median per call of one Python
call on a 1 x 50 array, the call overhead included, as a user pays it), batch time on every
row of rows.f64 (median of 3), and the largest absolute difference from our predictions
(ours_<model>.f64, written by the Rust side before). A peer that cannot be installed or
cannot read the model gets a row with a note saying why, never silence.
"""
import json
import os
import sys
import time
import traceback

import numpy as np

DATA, ROUND = sys.argv[1], sys.argv[2]
MANIFEST = json.load(open(os.path.join(DATA, "manifest.json")))
# Every row of the file, or the first $TREES_ROWS, as the Rust side reads.
N, K = min(MANIFEST["rows"], int(os.environ.get("TREES_ROWS", MANIFEST["rows"]))), MANIFEST["features"]
ROWS = np.fromfile(os.path.join(DATA, "rows.f64"), dtype="<f8", count=N * K).reshape(N, K)
ROWS32 = ROWS.astype(np.float32)
SINGLE = 2000
results = []


def median_time(fn, reps):
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def single_latency(fn, rows):
    """Median per call over 7 passes of SINGLE calls, each on a different row."""
    per = []
    for _ in range(7):
        t = time.perf_counter()
        for r in rows:
            fn(r)
        per.append((time.perf_counter() - t) / len(rows))
    return float(np.median(per))


def run(model, peer, make, note=""):
    """make() -> (one(row_1xK) , batch(all rows) -> predictions); failures become notes."""
    try:
        one, batch = make()
        rows = [ROWS[i:i + 1] for i in range(SINGLE)]
        single = single_latency(one, rows)
        seconds, pred = median_time(batch, 3)
        ours = np.fromfile(os.path.join(DATA, f"ours_{model}.f64"), dtype="<f8", count=N)
        diff = float(np.max(np.abs(np.asarray(pred, dtype=np.float64).ravel() - ours)))
        results.append({"model": model, "peer": peer, "single_s": single, "batch_s": seconds,
                        "max_abs_diff": diff, "note": note})
        print(f"{model} {peer}: {single * 1e6:.2f} us/call, batch {seconds:.3f} s, max diff {diff:.3e}")
    except Exception as e:  # the doc row says why rather than dropping the peer
        traceback.print_exc()
        results.append({"model": model, "peer": peer, "note": f"failed: {type(e).__name__}: {e}"[:200]})


def xgboost_peer(path):
    import xgboost as xgb
    b = xgb.Booster(model_file=path)
    b.set_param({"nthread": 1})
    return (lambda r: b.inplace_predict(r), lambda: b.inplace_predict(ROWS)), f"xgboost {xgb.__version__} inplace_predict"


def lightgbm_peer(path):
    import lightgbm as lgb
    b = lgb.Booster(model_file=path)
    return (lambda r: b.predict(r, num_threads=1), lambda: b.predict(ROWS, num_threads=1)), f"lightgbm {lgb.__version__} predict"


def treelite_peer(path, loader):
    import tl2cgen
    import treelite
    model = loader(treelite, path)
    lib = os.path.join(DATA, f"tl2cgen_{os.path.basename(path)}.so")
    if not os.path.exists(lib):
        tl2cgen.export_lib(model, toolchain="gcc", libpath=lib, params={"parallel_comp": 8})
    p = tl2cgen.Predictor(lib, nthread=1)
    big = tl2cgen.DMatrix(ROWS, dtype="float64")
    # Treelite keeps XGBoost's float32 thresholds; the f64 rows are compared as TL2cgen does.
    return (lambda r: p.predict(tl2cgen.DMatrix(r, dtype="float64")), lambda: p.predict(big)), \
        f"treelite {treelite.__version__} + tl2cgen {tl2cgen.__version__} (gcc)"


def lleaves_peer(path):
    import lleaves
    m = lleaves.Model(model_file=path)
    m.compile(cache=os.path.join(DATA, "lleaves_lgb.o"))
    return (lambda r: m.predict(r, n_jobs=1), lambda: m.predict(ROWS, n_jobs=1)), "lleaves 1.3.0 (LLVM)"


def onnx_peer(kind, path):
    import onnxmltools
    import onnxruntime as ort
    from onnxmltools.convert.common.data_types import FloatTensorType
    types = [("input", FloatTensorType([None, K]))]
    if kind == "xgboost":
        import xgboost as xgb
        reg = xgb.XGBRegressor()
        reg.load_model(path)
        onx = onnxmltools.convert_xgboost(reg, initial_types=types, target_opset=15)
    else:
        import lightgbm as lgb
        onx = onnxmltools.convert_lightgbm(lgb.Booster(model_file=path), initial_types=types, target_opset=15)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(onx.SerializeToString(), so, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    return (lambda r: s.run(None, {name: r.astype(np.float32)}), lambda: s.run(None, {name: ROWS32})[0]), \
        f"onnxruntime {ort.__version__} TreeEnsemble (onnxmltools {onnxmltools.__version__})"


def peer(model, fn, *args, label, note=""):
    try:
        fns, name = fn(*args)
    except Exception as e:
        results.append({"model": model, "peer": label, "note": f"failed: {type(e).__name__}: {e}"[:200]})
        traceback.print_exc()
        return
    run(model, name, lambda: fns, note)


XGB, LGB = os.path.join(DATA, "xgb.json"), os.path.join(DATA, "lgb.txt")
peer("xgboost", xgboost_peer, XGB, label="xgboost inplace_predict")
peer("xgboost", treelite_peer, XGB, lambda tl, p: tl.frontend.load_xgboost_model(p), label="treelite + tl2cgen")
peer("xgboost", onnx_peer, "xgboost", XGB, label="onnxruntime",
     note="float32 inputs and sums (ONNX's TreeEnsemble)")
results.append({"model": "xgboost", "peer": "lleaves", "note": "not applicable: lleaves compiles LightGBM models only"})
peer("lightgbm", lightgbm_peer, LGB, label="lightgbm predict")
peer("lightgbm", treelite_peer, LGB, lambda tl, p: tl.frontend.load_lightgbm_model(p), label="treelite + tl2cgen")
peer("lightgbm", lleaves_peer, LGB, label="lleaves")
peer("lightgbm", onnx_peer, "lightgbm", LGB, label="onnxruntime",
     note="float32 inputs and thresholds (ONNX's TreeEnsemble): differs from LightGBM's float64")
json.dump(results, open(os.path.join(DATA, f"peers_{ROUND}.json"), "w"), indent=1)
