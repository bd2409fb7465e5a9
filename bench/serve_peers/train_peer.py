#!/usr/bin/python3
"""Trains the scikit-learn peer of bench/serve_vs_python.sh and writes its request bodies.

The split and the pipeline are those of bench/forest_vs_sklearn.py: pandas.read_csv of
examples/house_prices/house_prices.csv, rows with a price, train_test_split(test_size=0.2,
random_state=42); an OrdinalEncoder + SimpleImputer column transformer (scikit-learn 1.2's
forests take neither text nor missing values) before
RandomForestRegressor(n_estimators=100, max_depth=8, random_state=42, n_jobs=1).

Writes into --out:
  train.csv, test.csv       the split, so that hone trains on exactly the same rows
  model.joblib              the fitted pipeline (joblib.dump), what the peer servers load
  signature.json            input columns and their types (MLflow's "signature": the servers
                            cast request columns to these types, as MLflow's scoring server does)
  mlflow_N.json             {"dataframe_split": {"columns", "data"}} with the first N test rows
  oip_N.json                the same rows as an Open Inference Protocol v2 request
  expected_N.json           the pipeline's predictions of those rows, computed here
for N in --rows (default 1,100). Missing values are JSON null in both protocols.

Usage: /usr/bin/python3 bench/serve_peers/train_peer.py --out bench/out/serve [--rows 1,100]
"""
import argparse
import json
import math
import os
import time

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "examples", "house_prices", "house_prices.csv")
TARGET = "price"


def cell(value):
    """A JSON value for one cell: None for missing, int for whole numbers, else as is."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return int(value) if value.is_integer() else value
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--rows", default="1,100")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    df = pd.read_csv(DATA, keep_default_na=True)
    df = df[df[TARGET].notna()]
    train, test = train_test_split(df, test_size=0.2, random_state=42)
    train.to_csv(os.path.join(args.out, "train.csv"), index=False)
    test.to_csv(os.path.join(args.out, "test.csv"), index=False)

    x_train, y_train = train.drop(columns=[TARGET]), train[TARGET]
    x_test = test.drop(columns=[TARGET])
    text = [c for c in x_train.columns if x_train[c].dtype == object]
    numbers = [c for c in x_train.columns if c not in text]
    encode = make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="most_frequent"),
                       OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)),
         text),
        (SimpleImputer(strategy="median"), numbers))
    model = make_pipeline(encode, RandomForestRegressor(n_estimators=100, max_depth=8,
                                                        random_state=42, n_jobs=1))
    t0 = time.perf_counter()
    model.fit(x_train, y_train)
    fit_seconds = time.perf_counter() - t0
    joblib.dump(model, os.path.join(args.out, "model.joblib"))
    columns = list(x_train.columns)
    signature = {"inputs": [{"name": c, "type": "string" if c in text else "double"}
                            for c in columns],
                 "target": TARGET}
    with open(os.path.join(args.out, "signature.json"), "w") as f:
        json.dump(signature, f, indent=1)

    for n in [int(r) for r in args.rows.split(",")]:
        rows = x_test.iloc[:n]
        data = [[cell(v) for v in row] for row in rows.itertuples(index=False, name=None)]
        with open(os.path.join(args.out, f"mlflow_{n}.json"), "w") as f:
            json.dump({"dataframe_split": {"columns": columns, "data": data}}, f,
                      separators=(",", ":"))
        inputs = [{"name": c, "shape": [n], "datatype": "BYTES" if c in text else "FP32",
                   "data": [row[j] for row in data]} for j, c in enumerate(columns)]
        with open(os.path.join(args.out, f"oip_{n}.json"), "w") as f:
            json.dump({"inputs": inputs}, f, separators=(",", ":"))
        with open(os.path.join(args.out, f"expected_{n}.json"), "w") as f:
            json.dump({"predictions": model.predict(rows).tolist()}, f)

    print(json.dumps({"sklearn": sklearn.__version__, "pandas": pd.__version__,
                      "train_rows": len(train), "test_rows": len(test),
                      "fit_seconds": round(fit_seconds, 3),
                      "model_bytes": os.path.getsize(os.path.join(args.out, "model.joblib"))}))


if __name__ == "__main__":
    main()
