"""The FastAPI peer of bench/serve_vs_python.sh: MLflow's scoring protocol over a joblib pipeline.

The same scoring (peer_model.score) as flask_app.py (MLflow's /invocations with "dataframe_split", columns cast to
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
from fastapi import FastAPI, Request, Response

from peer_model import score

app = FastAPI()


@app.get("/ping")
@app.get("/health")
async def ping():
    return Response("\n", status_code=200, media_type="application/json")


@app.post("/invocations")
async def invocations(request: Request):
    status, text = score(await request.body())
    return Response(text, status_code=status, media_type="application/json")
