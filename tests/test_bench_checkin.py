"""The door benchmark end to end, tiny: real gunicorn worker processes sharing one SQLite file.

Keeps `bench/checkin.py` (the README's command) working and checks what only several server
processes can show: concurrent scanners across workers never count a guest twice. Its figures are
not asserted here; they belong to the benchmark.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_door_benchmark_runs_under_gunicorn_without_duplicates():
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "SECRET_KEY"}}
    run = subprocess.run(
        [sys.executable, "bench/checkin.py", "--guests", "300", "--scanners", "6", "--seconds", "1",
         "--workers", "2", "--threads", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    assert set(result) == {"checkins_per_s", "p50_ms", "p99_ms", "duplicates", "healthz_per_s", "ratio"}
    assert result["healthz_per_s"] > 0
    assert result["ratio"] == pytest.approx(result["checkins_per_s"] / result["healthz_per_s"], abs=0.002)
    assert result["duplicates"] == 0
    assert result["checkins_per_s"] > 0
    assert "errors: none" in run.stdout
    answered, stored = next(line for line in lines if line.startswith("check-ins:")).split(",")[:2]
    assert answered.split()[1] == stored.split()[0]  # welcomes answered == check-ins in the database


@pytest.mark.slow
def test_sync_benchmark_applies_a_batch_once_with_constant_statements_per_scan():
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "SECRET_KEY"}}
    run = subprocess.run([sys.executable, "bench/checkin.py", "--sync", "--scans", "60", "--guests", "100"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(result) == {"scans", "sync_ms", "statements", "statements_per_scan", "fixed_statements",
                           "replay_ms", "checked_in", "duplicates"}
    assert (result["scans"], result["checked_in"], result["duplicates"]) == (60, 66, 0)
    assert result["statements_per_scan"] <= 8
