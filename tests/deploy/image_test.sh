#!/usr/bin/env bash
# The hone image: built with Debian's docker.io by deploy/build-image.sh (FROM scratch: nothing
# can be pulled here), then a container of it serves a prediction of a model trained on the
# host, from a store mounted into it, on the host's loopback; and, when web/dist is built (under
# CI=true it must be: scripts/test.sh builds it first), a `hone server` container serves the
# dashboard from the image's /usr/local/share/hone/ui.
#
# Usage: tests/deploy/image_test.sh HONE_BINARY
# Exit 77 (CTest's skip) with the reason on stdout when this machine cannot run Docker: not
# root, no docker.io, or a dockerd that does not start. Everything else failing is a failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HONE=${1:?usage: image_test.sh HONE_BINARY}
skip() {
  echo "DOCKER TEST SKIPPED: $*"
  exit 77
}
[ "$(id -u)" -eq 0 ] || skip "not root, so no private dockerd"
command -v dockerd >/dev/null || skip "docker.io is not installed"

WORK=$(mktemp -d /tmp/hone-image-XXXXXX)
export DOCKER_STATE_DIR=$WORK/docker
TAG=hone-test:$$
CONTAINER=hone-test-$$
cleanup() {
  docker rm -f "$CONTAINER" "$CONTAINER-ui" >/dev/null 2>&1 || true
  docker rmi -f "$TAG" >/dev/null 2>&1 || true
  bash "$ROOT/scripts/docker.sh" stop
  rm -rf "$WORK"
}
trap cleanup EXIT
bash "$ROOT/scripts/docker.sh" start || skip "dockerd does not start on this machine (above)"
eval "$(bash "$ROOT/scripts/docker.sh" env)"

bash "$ROOT/deploy/build-image.sh" --binary "$HONE" --tag "$TAG"

# A model trained on the host, in a store the container's user (uid 10001) may write.
STORE=$WORK/store
"$HONE" train --data "$ROOT/examples/house_prices/house_prices.csv" --target price \
  --param n_estimators=10 --register house_prices --store "$STORE" --threads 2 >/dev/null
"$HONE" promote house_prices 1 --store "$STORE" >/dev/null
chown -R 10001:10001 "$STORE"

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
docker run -d --name "$CONTAINER" --network host -v "$STORE:/var/lib/hone/store" "$TAG" \
  serve --store /var/lib/hone/store --host 127.0.0.1 --port "$PORT" --threads 1 >/dev/null
end=$((SECONDS + 60))
until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/v2/health/ready" 2>/dev/null; do
  if [ $SECONDS -ge $end ] || [ "$(docker inspect -f '{{.State.Running}}' "$CONTAINER")" != true ]; then
    echo "the container did not get ready:"
    docker logs "$CONTAINER" 2>&1 | tail -n 20
    exit 1
  fi
  sleep 0.2
done
BODY='{"dataframe_split":{"columns":["sale_date","neighborhood","house_type","sqft_living","lot_size_sqft","bedrooms","bathrooms","year_built","year_renovated","garage_spaces","distance_to_center_km","school_rating","condition","heating","has_pool"],"data":[["2023-09-13","Maple Grove","townhouse",800,6000,1,1.0,2000,null,1,9.5,7,"fair","gas","no"]]}}'
ANSWER=$(curl -fsS -H 'Content-Type: application/json' -d "$BODY" "http://127.0.0.1:$PORT/invocations")
echo "the container answered: $ANSWER"
/usr/bin/python3 -c '
import json, sys
answer = json.loads(sys.argv[1])
predictions = answer["predictions"]
assert len(predictions) == 1 and isinstance(predictions[0], (int, float)) and predictions[0] > 0, answer
' "$ANSWER"
# The image runs as its unprivileged user.
[ "$(docker inspect -f '{{.Config.User}}' "$TAG")" = 10001:10001 ]
docker stop -t 10 "$CONTAINER" >/dev/null
[ "$(docker inspect -f '{{.State.ExitCode}}' "$CONTAINER")" = 0 ] || { docker logs "$CONTAINER" | tail; exit 1; }

if [[ -f $ROOT/web/dist/index.html ]]; then
  PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  docker run -d --name "$CONTAINER-ui" --network host "$TAG" \
    server --store /tmp/team.db --host 127.0.0.1 --port "$PORT" --threads 1 >/dev/null
  end=$((SECONDS + 60))
  until PAGE=$(curl -fsS "http://127.0.0.1:$PORT/ui/" 2>/dev/null); do
    if [ $SECONDS -ge $end ]; then
      docker logs "$CONTAINER-ui" 2>&1 | tail -n 20
      exit 1
    fi
    sleep 0.2
  done
  docker rm -f "$CONTAINER-ui" >/dev/null
  [[ $PAGE == *'<div id="app">'* ]] || { echo "GET /ui/ answered: $PAGE"; exit 1; }
  echo "the image's hone server serves the dashboard"
elif [[ ${CI:-} == true ]]; then
  echo "web/dist is not built, so the image has no dashboard (scripts/test.sh builds it first)"
  exit 1
else
  echo "web/dist is not built: the image has no dashboard, and that was not checked"
fi
echo "image $TAG: built, served a prediction, stopped cleanly"
