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

from fastapi import FastAPI, Request, Response

from peer_model import MODEL, BadRequest, to_frame

app = FastAPI()


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
