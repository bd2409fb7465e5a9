#!/usr/bin/python3
"""A team's own training code, run by hone as a `command:` stage (see hone-command.yaml).

hone hands over the data and parameters in environment variables and takes back an XGBoost
model, which it then evaluates on its own holdout, gates against production, registers and
serves like a model it trained itself:
  HONE_TRAIN_DATA   training rows (CSV)       HONE_FEATURES     feature columns, in order (JSON)
  HONE_TARGET       the target column         HONE_CATEGORICAL  the categorical ones (JSON)
  HONE_PARAMS       train.params (JSON)       HONE_SEED         the pipeline's seed
  HONE_MODEL_OUT    where to save the model   HONE_METRICS_OUT  optional {"metric": number}
"""
import json
import os

import pandas as pd
import xgboost as xgb

features = json.loads(os.environ["HONE_FEATURES"])
categorical = json.loads(os.environ["HONE_CATEGORICAL"])
params = json.loads(os.environ.get("HONE_PARAMS", "{}"))
target = os.environ["HONE_TARGET"]

train = pd.read_csv(os.environ["HONE_TRAIN_DATA"])
train = train[train[target].notna()]
x = train[features].copy()
for column in categorical:
    # hone codes a category by its index among the sorted categories of the training rows:
    # exactly pandas' default for astype("category").
    x[column] = x[column].astype(str).where(x[column].notna()).astype("category")

model = xgb.XGBRegressor(
    n_estimators=int(params.get("n_estimators", 200)),
    max_depth=int(params.get("max_depth", 6)),
    learning_rate=float(params.get("learning_rate", 0.1)),
    tree_method="hist",
    enable_categorical=True,
    random_state=int(os.environ.get("HONE_SEED", "42")),
    n_jobs=1,
)
model.fit(x, train[target])
model.get_booster().save_model(os.environ["HONE_MODEL_OUT"])
print(f"trained {model.n_estimators} trees on {len(train)} rows")

with open(os.environ["HONE_METRICS_OUT"], "w") as out:
    json.dump({"train_rows": len(train)}, out)
