#!/usr/bin/env bash
# Sets everything up and runs eventkit on SQLite (instance/eventkit.db) with a demo gathering,
# served by gunicorn as in a deployment. HOST and PORT change the address (default 127.0.0.1:5000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
HOST=${HOST:-127.0.0.1} PORT=${PORT:-5000}
export FLASK_APP=eventkit EVENTKIT_ENV=${EVENTKIT_ENV:-development}
export EVENTKIT_BASE_URL=${EVENTKIT_BASE_URL:-http://$HOST:$PORT}
.venv/bin/flask db upgrade
.venv/bin/flask eventkit seed-demo
.venv/bin/flask eventkit send-mail
echo "==> eventkit runs at $EVENTKIT_BASE_URL (Ctrl+C stops it)"
# the worker (PDF renders, mail every minute, the follow-up sweep) runs beside the web server and stops with it
.venv/bin/flask eventkit worker &
WORKER=$!
trap 'kill -INT $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT
.venv/bin/gunicorn -c gunicorn.conf.py --workers 2 --bind "$HOST:$PORT" wsgi:app
