#!/usr/bin/env bash
# Sets everything up, then runs the test suite. TEST_DATABASE_URL picks PostgreSQL, e.g.
#   TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test scripts/test.sh
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/python -m pytest "$@"
