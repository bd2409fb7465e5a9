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
from flask import Flask, Response, request

from peer_model import score

app = Flask(__name__)


@app.get("/ping")
@app.get("/health")
def ping():
    return Response("\n", status=200, mimetype="application/json")


@app.post("/invocations")
def invocations():
    status, text = score(request.get_data())
    return Response(text, status=status, mimetype="application/json")
