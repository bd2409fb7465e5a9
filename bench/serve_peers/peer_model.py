"""What both peers of bench/serve_vs_python.sh share: the model and its signature, loaded from
$PEER_MODEL_DIR (model.joblib and signature.json, written by train_peer.py), and the scoring of
one /invocations body (score): MLflow's dataframe_split decoded into a DataFrame cast to the
signature, as MLflow's scoring server does, predicted, and the answer or the error as JSON.
"""
import json
import os

import joblib
import numpy as np
import pandas as pd

MODEL_DIR = os.environ.get("PEER_MODEL_DIR", "bench/out/serve")
MODEL = joblib.load(os.path.join(MODEL_DIR, "model.joblib"))
with open(os.path.join(MODEL_DIR, "signature.json")) as _f:
    SIGNATURE = [(c["name"], c["type"]) for c in json.load(_f)["inputs"]]
COLUMNS = [name for name, _ in SIGNATURE]
DTYPES = {name: "float64" if kind == "double" else object for name, kind in SIGNATURE}

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


def score(body):
    """(HTTP status, JSON text) for one /invocations request body (bytes)."""
    try:
        doc = json.loads(body)
    except ValueError as e:
        return 400, bad_request(f"invalid JSON: {e}")
    try:
        frame = to_frame(doc)
    except BadRequest as e:
        return 400, bad_request(str(e))
    return 200, json.dumps({"predictions": MODEL.predict(frame).tolist()})


def bad_request(message):
    return json.dumps({"error_code": "BAD_REQUEST", "message": message})
