#!/usr/bin/env python3
"""Compare netops's models with scikit-learn's on the same rows (docs/sklearn-comparison.md).

A development tool, not part of the project's tests. Two modes:

  table   fit scikit-learn's LogisticRegression (with StandardScaler, as netops standardises
          internally), RandomForestClassifier and HistGradientBoostingClassifier, all with
          their defaults, on DATA/train.csv; read netops's scores and timings written by
          `go run ./scripts/compare/ours` into OURS; compute every metric for both sides with
          the same code and print a Markdown table. The F1 threshold of every model is the
          one that maximises F1 on DATA/valid.csv; ROC AUC, PR AUC (average precision) and
          log-loss are threshold-free, on DATA/test.csv.

  gbt     time HistGradientBoostingClassifier on the binary split written by
          `go run ./scripts/compare/synth` (early stopping off, the given iterations) and
          print fit time and test log-loss next to netops's from OURS/ours.json.

Usage:
  python3 scripts/compare/sklearn_compare.py table --data /tmp/cmp-csv --ours /tmp/cmp-out-h0
  python3 scripts/compare/sklearn_compare.py gbt --data /tmp/cmp-1m --ours /tmp/cmp-1m-out
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (average_precision_score, f1_score, log_loss,
                             precision_recall_curve, roc_auc_score)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def load_csv(path):
    """Return X (float64) and y (0/1) of a CSV split."""
    df = pd.read_csv(path, dtype=np.float64, engine="c")
    y = df.pop("is_error").to_numpy().astype(np.int8)
    return np.ascontiguousarray(df.to_numpy()), y


def load_binary(directory, name):
    """Return X and y of a binary split (see scripts/compare/data)."""
    with open(os.path.join(directory, "features.txt")) as f:
        d = len(f.read().split())
    y = np.fromfile(os.path.join(directory, name + ".y"), dtype=np.uint8).astype(np.int8)
    X = np.fromfile(os.path.join(directory, name + ".f64"), dtype="<f8").reshape(len(y), d)
    return X, y


def best_f1_threshold(y, scores):
    """The threshold with the highest F1 on (y, scores): the workflow's rule."""
    precision, recall, thresholds = precision_recall_curve(y, scores)
    p, r = precision[:-1], recall[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(p + r > 0, 2 * p * r / (p + r), -1)
    ok = (thresholds > 0) & (thresholds <= 1)
    if not ok.any():
        return 0.5
    f1 = np.where(ok, f1, -1)
    return float(thresholds[int(np.argmax(f1))])


def metrics(y_valid, s_valid, y_test, s_test):
    """Test metrics with the F1 threshold chosen on validation."""
    thr = best_f1_threshold(y_valid, s_valid)
    eps = 1e-15
    return {
        "roc_auc": roc_auc_score(y_test, s_test),
        "pr_auc": average_precision_score(y_test, s_test),
        "f1": f1_score(y_test, (s_test >= thr).astype(np.int8), zero_division=0),
        "log_loss": log_loss(y_test, np.clip(s_test, eps, 1 - eps)),
        "threshold": thr,
    }


def sklearn_models(seed):
    """scikit-learn's counterparts of lr, rf and gbt, with default settings."""
    return {
        "lr": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, tol=1e-6)),
        "rf": RandomForestClassifier(random_state=seed, n_jobs=-1),
        "gbt": HistGradientBoostingClassifier(random_state=seed),
    }


def timed_proba(model, X):
    """Positive-class probabilities and the seconds it took."""
    t0 = time.perf_counter()
    p = model.predict_proba(X)[:, 1]
    return p, time.perf_counter() - t0


def read_scores(path):
    """Scores written by scripts/compare/ours, one a line."""
    return np.loadtxt(path, dtype=np.float64)


def table(args):
    """Fit scikit-learn's models, score both sides and print the Markdown table."""
    X_train, y_train = load_csv(os.path.join(args.data, "train.csv"))
    X_valid, y_valid = load_csv(os.path.join(args.data, "valid.csv"))
    X_test, y_test = load_csv(os.path.join(args.data, "test.csv"))
    print(f"train {X_train.shape}, valid {X_valid.shape}, test {X_test.shape}, "
          f"positives {y_train.mean():.2%}/{y_valid.mean():.2%}/{y_test.mean():.2%}", file=sys.stderr)
    with open(os.path.join(args.ours, "ours.json")) as f:
        ours = {t["model"]: t for t in json.load(f)}
    rows = []
    names = {"lr": ("LogisticRegression", "lr"), "rf": ("RandomForestClassifier", "rf"),
             "gbt": ("HistGradientBoostingClassifier", "gbt")}
    for kind, model in sklearn_models(args.seed).items():
        if kind in ours:
            t = ours[kind]
            m = metrics(y_valid, read_scores(os.path.join(args.ours, f"ours-{kind}.valid")),
                        y_test, read_scores(os.path.join(args.ours, f"ours-{kind}.test")))
            extra = f" ({t['iterations']} iter.)" if t.get("iterations") else ""
            rows.append((f"netops {names[kind][1]}{extra}", m, t["fit_s"], t["predict_s"]))
            print(f"netops {kind}: {m}", file=sys.stderr)
        t0 = time.perf_counter()
        model.fit(X_train, y_train)
        fit_s = time.perf_counter() - t0
        s_test, pred_s = timed_proba(model, X_test)
        s_valid, _ = timed_proba(model, X_valid)
        m = metrics(y_valid, s_valid, y_test, s_test)
        extra = f" ({model.n_iter_} iter.)" if hasattr(model, "n_iter_") and kind == "gbt" else ""
        rows.append((f"sklearn {names[kind][0]}{extra}", m, fit_s, pred_s))
        print(f"sklearn {kind}: {m} fit {fit_s:.2f}s predict {pred_s:.2f}s", file=sys.stderr)
    print(f"| model | ROC AUC | PR AUC | F1 (thr.) | log-loss | fit (s) | predict {len(y_test):,} rows (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, m, fit_s, pred_s in rows:
        print(f"| {name} | {m['roc_auc']:.4f} | {m['pr_auc']:.4f} | {m['f1']:.4f} ({m['threshold']:.3f}) "
              f"| {m['log_loss']:.4f} | {fit_s:.2f} | {pred_s:.2f} |")
    print(f"\nscikit-learn {sklearn.__version__}, numpy {np.__version__}", file=sys.stderr)


def gbt(args):
    """Time HistGradientBoostingClassifier against netops's gbt on a binary split."""
    X_train, y_train = load_binary(args.data, "train")
    X_test, y_test = load_binary(args.data, "test")
    with open(os.path.join(args.ours, "ours.json")) as f:
        ours = {t["model"]: t for t in json.load(f)}["gbt"]
    ours_loss = log_loss(y_test, np.clip(read_scores(os.path.join(args.ours, "ours-gbt.test")), 1e-15, 1 - 1e-15))
    p = ours["params"]
    model = HistGradientBoostingClassifier(
        max_iter=p["max_iter"], learning_rate=p["learning_rate"], max_leaf_nodes=p["max_leaf_nodes"],
        min_samples_leaf=p["min_samples_leaf"], max_bins=p["max_bins"], early_stopping=False,
        random_state=args.seed)
    c0, t0 = time.process_time(), time.perf_counter()
    model.fit(X_train, y_train)
    fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
    s_test, pred_s = timed_proba(model, X_test)
    loss = log_loss(y_test, np.clip(s_test, 1e-15, 1 - 1e-15))
    print(f"| implementation | fit wall (s) | fit CPU (s) | iterations | test log-loss | predict {len(y_test):,} rows (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| netops gbt | {ours['fit_s']:.2f} | {ours['fit_cpu_s']:.2f} | {ours['iterations']} | {ours_loss:.5f} | {ours['predict_s']:.3f} |")
    print(f"| sklearn HistGradientBoostingClassifier | {fit_s:.2f} | {fit_cpu:.2f} | {model.n_iter_} | {loss:.5f} | {pred_s:.3f} |")
    print(f"\nX {X_train.shape}, scikit-learn {sklearn.__version__}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["table", "gbt"])
    ap.add_argument("--data", required=True, help="directory of the splits")
    ap.add_argument("--ours", required=True, help="output directory of scripts/compare/ours")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.mode == "table":
        table(args)
    else:
        gbt(args)


if __name__ == "__main__":
    main()
