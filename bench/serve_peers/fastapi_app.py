"""The FastAPI peer of bench/serve_vs_python.sh: MLflow's scoring protocol over a joblib pipeline.

The same scoring as flask_app.py (MLflow's /invocations with "dataframe_split", columns cast to
the model's signature, pipeline.predict, {"predictions": [...]}; 400 on bad input; GET /ping and
/health), as a FastAPI app. The endpoint is `async def` reading the raw body and predicting
inline: no pydantic validation of the body and no hop to the thread pool, the cheapest way to
serve a CPU-bound model with FastAPI (one request at a time per worker, as gunicorn's sync
workers do).

The model folder (model.joblib, signature.json written by train_peer.py) comes from
$PEER_MODEL_DIR. Run under uvicorn, e.g.:
  PEER_MODEL_DIR=bench/out/serve python3 -m uvicorn --app-dir bench/serve_peers \
      --workers 2 fastapi_app:app
"""
import json
import os

import joblib
import numpy as np
import pandas as pd
from fastapi import FastAPI, Request, Response

MODEL_DIR = os.environ.get("PEER_MODEL_DIR", "bench/out/serve")
MODEL = joblib.load(os.path.join(MODEL_DIR, "model.joblib"))
with open(os.path.join(MODEL_DIR, "signature.json")) as _f:
    SIGNATURE = [(c["name"], c["type"]) for c in json.load(_f)["inputs"]]
COLUMNS = [name for name, _ in SIGNATURE]
DTYPES = {name: "float64" if kind == "double" else object for name, kind in SIGNATURE}

app = FastAPI()


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
                    status_code=status, media_type="application/json")


@app.get("/ping")
@app.get("/health")
async def ping():
    return Response("\n", status_code=200, media_type="application/json")


@app.post("/invocations")
async def invocations(request: Request):
    try:
        doc = json.loads(await request.body())
    except ValueError as e:
        return error(f"invalid JSON: {e}")
    try:
        frame = to_frame(doc)
    except BadRequest as e:
        return error(str(e))
    predictions = MODEL.predict(frame)
    return Response(json.dumps({"predictions": predictions.tolist()}), status_code=200,
                    media_type="application/json")
