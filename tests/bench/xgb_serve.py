#!/usr/bin/python3
"""xgboost inplace_predict (nthread=1) as an engine the interleaved benchmarks
(tests/bench/trees_vs_ort.mjs) can time in the same window as the others.

    /usr/bin/python3 tests/bench/xgb_serve.py MODEL X.f32 FEATURES

The call timed is the anchors' (../shared/bench/bench_xgb.py, method
"inplace"): booster.inplace_predict on a float32 slice of the input, cycling
through the rows.  The same protocol as `bench_native MODEL X F serve`: after
loading, prints {"ready": true}; each stdin line "BATCH MIN_MS" runs calls of
BATCH rows (at least one) until MIN_MS have passed and answers one line
{"wall": rows/s, "cpu": rows per CPU second, "calls": n}.  Ends at end of input.
"""
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import xgboost as xgb  # noqa: E402


def main():
    model, x_path, features = sys.argv[1], sys.argv[2], int(sys.argv[3])
    X = np.fromfile(x_path, dtype="<f4").reshape(-1, features)
    rows = X.shape[0]
    bst = xgb.Booster(model_file=model)
    bst.set_param({"nthread": 1})
    print(json.dumps({"ready": True, "xgboost": xgb.__version__}), flush=True)
    off = 0
    for line in sys.stdin:
        bs, min_ms = int(line.split()[0]), float(line.split()[1])
        if not 0 < bs <= rows:
            print(json.dumps({"error": f"batch {bs} is not in 1..{rows}"}), flush=True)
            continue
        off %= rows - bs + 1  # the previous request's batch may have been smaller
        calls, el = 0, 0.0
        c0, t0 = time.process_time(), time.perf_counter()
        while calls < 1 or el * 1e3 < min_ms:
            bst.inplace_predict(X[off:off + bs])
            off = (off + bs) % (rows - bs + 1)
            calls += 1
            el = time.perf_counter() - t0
        cpu = time.process_time() - c0
        print(json.dumps({"wall": calls * bs / el, "cpu": calls * bs / (cpu if cpu > 0 else el), "calls": calls}),
              flush=True)


if __name__ == "__main__":
    main()
