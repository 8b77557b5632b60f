#!/usr/bin/env python3
"""pandas/numpy baseline of drift-magnitude's per-window work, for the Go-vs-pandas comparison.

Not part of the test suite. It does what MLRun's model monitoring does with pandas and numpy,
on the same shape as BenchmarkReport1M (functions/driftmagnitude/bench_test.go): 1,000,000 rows
x 45 features plus the predicted probability; feature i ~ N(i, 1 + i % 5), two of them shifted.

Per column it computes the reference's 20 numpy bins padded with one bin on each side to
+-max float (22 bins), the current window's counts on them (np.histogram), count/mean/std/min/max
(pandas), and TVD, Hellinger, symmetric KLD, PSI, Jensen-Shannon, KS and Wasserstein; then the
means and the general drift. The data is generated in memory (pyarrow is not packaged in
Debian 12, so no Parquet read); pass --csv FILE to time pandas.read_csv of a CSV export too.

Run (Debian: apt-get install -y python3-pandas python3-numpy):

    /usr/bin/python3 functions/driftmagnitude/testdata/pandas_drift.py [--rows 1000000] [--repeat 3]

and compare the "histograms + report" seconds with the Go benchmark:

    go test -run XXX -bench Report1M -benchtime 3x -benchmem ./functions/driftmagnitude/
"""
import argparse
import sys
import time

import numpy as np
import pandas as pd

FEATURES = 45
BINS = 20
MAXF = np.finfo(np.float64).max


def make_frame(rows, seed, shift):
    rng = np.random.default_rng(seed)
    cols = {}
    for i in range(FEATURES):
        sd = 1.0 + i % 5
        cols[f"f{i:02d}"] = i + sd * (rng.standard_normal(rows) + shift.get(i, 0.0))
    cols["probability"] = rng.random(rows)
    return pd.DataFrame(cols)


def reference(values):
    counts, edges = np.histogram(values, bins=BINS)  # numpy's edges: linspace(min, max, 21)
    return {"edges": edges, "counts": counts, "count": len(values), "std": values.std(ddof=1)}


def kl(a, b):
    m = a != 0
    bb = np.where(b[m] == 0, 1e-4, b[m])
    return float(np.sum(a[m] * np.log(a[m] / bb)))


def measures(ref, cur_counts, padded):
    t = np.concatenate(([0], ref["counts"], [0])) / ref["count"]
    u = cur_counts / cur_counts.sum()
    tvd = np.abs(t - u).sum() / 2
    hell = np.sqrt(max(1 - np.sum(np.sqrt(t * u)), 0))
    kld = kl(t, u) + kl(u, t)
    tp, up = np.where(t == 0, 1e-4, t), np.where(u == 0, 1e-4, u)
    psi = float(np.sum((up - tp) * np.log(up / tp)))
    m = (t + u) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        js = np.sqrt(max((np.nansum(np.where(t > 0, t * np.log2(t / m), 0)) + np.nansum(np.where(u > 0, u * np.log2(u / m), 0))) / 2, 0))
    ct, cu = np.cumsum(t), np.cumsum(u)
    ks = float(np.max(np.abs(ct - cu)))
    pos = np.concatenate(([padded[1]], (padded[1:-2] + padded[2:-1]) / 2, [padded[-2]]))
    wass = float(np.sum(np.abs(ct[:-1] - cu[:-1]) * np.diff(pos))) / ref["std"]
    return tvd, hell, kld, psi, js, ks, wass


def report(df, refs):
    stats = df.agg(["count", "mean", "std", "min", "max"])  # the "features analysis" table
    rows = []
    for name in df.columns:
        ref = refs[name]
        padded = np.concatenate(([-MAXF], ref["edges"], [MAXF]))
        counts, _ = np.histogram(df[name].to_numpy(), bins=padded)
        rows.append(measures(ref, counts, padded))
    m = np.array(rows[:-1])  # the prediction is not in the means
    tvd_mean, hell_mean = m[:, 0].mean(), m[:, 1].mean()
    return stats, rows, (tvd_mean + hell_mean) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--csv", help="also time pandas.read_csv of this CSV export")
    args = ap.parse_args()

    ref_df = make_frame(20_000, 1, {})
    refs = {c: reference(ref_df[c].to_numpy()) for c in ref_df.columns}
    t = time.perf_counter()
    cur = make_frame(args.rows, 99, {1: 1.0, 22: -0.5})
    print(f"generated {args.rows} x {cur.shape[1]} in {time.perf_counter() - t:.2f}s", file=sys.stderr)
    if args.csv:
        t = time.perf_counter()
        cur = pd.read_csv(args.csv)
        print(f"read_csv {args.csv}: {time.perf_counter() - t:.2f}s", file=sys.stderr)

    best = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        _, _, general = report(cur, refs)
        best = min(best, time.perf_counter() - t)
    print(f"pandas/numpy histograms + report: {best:.3f}s best of {args.repeat} "
          f"({args.rows / best:,.0f} rows/s), general drift {general:.4f}")


if __name__ == "__main__":
    main()
