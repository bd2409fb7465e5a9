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

from flask import Flask, Response, request

from peer_model import MODEL, BadRequest, to_frame

app = Flask(__name__)


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
