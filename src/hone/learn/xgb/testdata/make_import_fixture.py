#!/usr/bin/python3
"""The XGBoost model and expected predictions for import_test.cc, from xgboost-python 1.7.4.

A team's own training code, as hone expects to meet it: a pandas DataFrame with named columns,
one of them categorical (pandas codes a category as its index among the sorted categories,
which is how hone's FeatureSchema codes it too), XGBRegressor with enable_categorical=True and
tree_method="hist", saved with save_model() as JSON. The rows to predict, with their values as
text and xgboost-python's prediction for each, go to a CSV that the test reads with hone's CSV
reader; they include a missing number, a missing category, and every category.

Writes import_regression.json and import_rows.csv beside this script.
Run: /usr/bin/python3 src/hone/learn/xgb/testdata/make_import_fixture.py
"""
import os

import numpy as np
import pandas as pd
import xgboost as xgb

HERE = os.path.dirname(os.path.abspath(__file__))
COLOURS = ["red", "green", "blue", "yellow", "violet"]  # pandas sorts them


def frame(rng, n):
    """Values with at most three decimals, so that text, float64 and float32 agree."""
    return pd.DataFrame({
        "size": np.round(rng.uniform(0, 10, n), 3),
        "colour": pd.Categorical(rng.choice(COLOURS, n), categories=sorted(COLOURS)),
        "age": np.round(rng.normal(40, 12, n), 3),
        "weight": np.round(rng.gamma(2.0, 3.0, n), 3),
    })


def main():
    rng = np.random.default_rng(20240601)
    train = frame(rng, 500)
    effect = {"red": 2.0, "green": -1.0, "blue": 0.5, "yellow": 3.0, "violet": -2.5}
    y = (1.5 * train["size"] + train["colour"].map(effect).astype(float) +
         0.05 * (train["age"] - 40) ** 2 / 10 - 0.3 * train["weight"] +
         rng.normal(0, 0.5, len(train)))
    model = xgb.XGBRegressor(n_estimators=20, max_depth=3, learning_rate=0.3,
                             tree_method="hist", enable_categorical=True, random_state=0)
    model.fit(train, y)
    model.save_model(os.path.join(HERE, "import_regression.json"))

    rows = frame(rng, 8)
    rows["colour"] = pd.Categorical(sorted(COLOURS) + ["red", "blue", "green"],
                                    categories=sorted(COLOURS))
    rows.loc[2, "age"] = np.nan
    rows.loc[5, "colour"] = np.nan
    # Predicted from the CSV's own text, read back as a user's scoring code would read it.
    path = os.path.join(HERE, "import_rows.csv")
    rows.to_csv(path, index=False)
    back = pd.read_csv(path)
    back["colour"] = pd.Categorical(back["colour"], categories=sorted(COLOURS))
    back["xgboost_prediction"] = model.predict(back[["size", "colour", "age", "weight"]])
    back.to_csv(path, index=False, float_format="%.9g")


if __name__ == "__main__":
    main()
