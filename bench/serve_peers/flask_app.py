"""The Flask peer of bench/serve_vs_python.sh: MLflow's scoring protocol over a joblib pipeline.

What an MLflow scoring server does for a pyfunc model, written out: POST /invocations with
{"dataframe_split": {"columns": [...], "data": [[...], ...]}} becomes a pandas DataFrame, its
columns are cast to the model's signature (numbers to float64, text to object with NaN for
missing), pipeline.predict scores it, and the answer is {"predictions": [...]}. Bad input is
HTTP 400 {"error_code": "BAD_REQUEST", "message": ...}. GET /ping and /health answer 200.

The model folder (model.joblib, signature.json written by train_peer.py) comes from
$PEER_MODEL_DIR. Run under gunicorn, e.g.:
  PEER_MODEL_DIR=bench/out/serve gunicorn --chdir bench/serve_peers -w 2 flask_app:app
Each gunicorn worker loads its own copy of the model at import.
"""
import json
import os

import joblib
import numpy as np
import pandas as pd
from flask import Flask, Response, request

MODEL_DIR = os.environ.get("PEER_MODEL_DIR", "bench/out/serve")
MODEL = joblib.load(os.path.join(MODEL_DIR, "model.joblib"))
with open(os.path.join(MODEL_DIR, "signature.json")) as _f:
    SIGNATURE = [(c["name"], c["type"]) for c in json.load(_f)["inputs"]]
COLUMNS = [name for name, _ in SIGNATURE]
DTYPES = {name: "float64" if kind == "double" else object for name, kind in SIGNATURE}

app = Flask(__name__)


class BadRequest(Exception):
    pass


def to_frame(doc):
    """The request's dataframe_split as a DataFrame cast to the signature.

    Cells are read as objects, null becomes NaN (scikit-learn's imputers take NaN, not None,
    as missing in text columns), then each column is cast to its signature type at once.
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("dataframe_split"), dict):
        raise BadRequest("expected a JSON object with key 'dataframe_split'")
    split = doc["dataframe_split"]
    try:
        df = pd.DataFrame(data=split["data"], columns=split["columns"], dtype=object)
    except (KeyError, TypeError, ValueError) as e:
        raise BadRequest(f"dataframe_split: {e}") from e
    missing = [name for name in COLUMNS if name not in df.columns]
    if missing:
        raise BadRequest(f"dataframe_split: missing columns {missing}")
    try:
        return df[COLUMNS].fillna(np.nan).astype(DTYPES)
    except (TypeError, ValueError) as e:
        raise BadRequest(f"dataframe_split: a column does not match the signature: {e}") from e


def error(message, status=400):
    return Response(json.dumps({"error_code": "BAD_REQUEST", "message": message}),
                    status=status, mimetype="application/json")


@app.get("/ping")
@app.get("/health")
def ping():
    return Response("\n", status=200, mimetype="application/json")


@app.post("/invocations")
def invocations():
    try:
        doc = json.loads(request.get_data())
    except ValueError as e:
        return error(f"invalid JSON: {e}")
    try:
        frame = to_frame(doc)
    except BadRequest as e:
        return error(str(e))
    predictions = MODEL.predict(frame)
    return Response(json.dumps({"predictions": predictions.tolist()}), status=200,
                    mimetype="application/json")
