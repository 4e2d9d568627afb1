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
exec .venv/bin/flask run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
