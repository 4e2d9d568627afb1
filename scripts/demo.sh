#!/usr/bin/env bash
# Sets everything up and runs eventkit on SQLite (instance/eventkit.db) with a demo gathering.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export FLASK_APP=eventkit EVENTKIT_ENV=${EVENTKIT_ENV:-development}
export EVENTKIT_BASE_URL=${EVENTKIT_BASE_URL:-http://${HOST:-127.0.0.1}:${PORT:-5000}}
.venv/bin/flask db upgrade
.venv/bin/flask eventkit seed-demo
.venv/bin/flask eventkit send-mail
# the worker (PDF renders, mail every minute, the follow-up sweep) runs beside the web server and stops with it
.venv/bin/flask eventkit worker &
WORKER=$!
trap 'kill -INT $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT
.venv/bin/flask run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
