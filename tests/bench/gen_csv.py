#!/usr/bin/env python3
"""Writes the CSV benchmark workload: ../shared/bench W4 semantics.

200000 rows x 50 float32 features of sklearn's make_classification (seed 0,
the W1 data), written with '%.7g', header f0..f49, LF line ends: 98.5 MB,
byte for byte the anchors' w1.csv.  Usage: gen_csv.py OUT.csv
"""
import sys

import numpy as np
from sklearn.datasets import make_classification


def main():
    out = sys.argv[1]
    X, _ = make_classification(n_samples=200_000, n_features=50, n_informative=20,
                               n_redundant=10, n_classes=3, random_state=0)
    header = ",".join(f"f{i}" for i in range(50))
    np.savetxt(out, X.astype(np.float32), fmt="%.7g", delimiter=",", header=header, comments="")


if __name__ == "__main__":
    main()
