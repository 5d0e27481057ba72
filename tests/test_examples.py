"""Every example script runs."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_run_scenario_example():
    out = subprocess.run([sys.executable, str(ROOT / "experiments" / "run_scenario.py"), "--replications", "1"],
                         capture_output=True, text=True, check=True)
    assert "closure" in out.stdout and "Busiest resources" in out.stdout


def test_bench_example(tmp_path):
    target = tmp_path / "bench.json"
    subprocess.run([sys.executable, str(ROOT / "experiments" / "bench.py"), "--repeat", "1", "--out", str(target)],
                   capture_output=True, text=True, check=True)
    row = json.loads(target.read_text())
    assert row["events"] > 0 and row["pieces"] > 0 and row["piece_stages"] >= row["pieces"]
