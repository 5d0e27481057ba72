"""Every example script runs."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_run_scenario_example():
    out = subprocess.run([sys.executable, str(ROOT / "experiments" / "run_scenario.py"), "--replications", "1"],
                         capture_output=True, text=True, check=True)
    assert "closure" in out.stdout
    assert "Busiest resources" in out.stdout


def test_bench_example(tmp_path):
    target = tmp_path / "bench.json"
    subprocess.run([sys.executable, str(ROOT / "experiments" / "bench.py"), "--repeat", "1", "--sizes", "1,2",
                    "--replications", "2", "--out", str(target)], capture_output=True, text=True, check=True)
    row = json.loads(target.read_text())
    b = row["builtin"]
    assert b["events"] > 0
    assert b["pieces"] > 0
    assert b["piece_stages"] >= b["pieces"]
    assert row["ratio_model_to_reference"] > 0
    assert len(row["scaling"]) == 2
    assert "scaling_exponent" in row
    assert row["replications"]["identical"]


def test_compare_investments_example(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "experiments" / "compare_investments.py"), "--investments",
                          "infrabel_military_programme", "--replications", "2", "--workers", "1", "--out", str(tmp_path / "c.csv")],
                         capture_output=True, text=True, check=True)
    assert "infrabel_military_programme" in out.stdout
    assert (tmp_path / "c.csv").exists()


def test_sweep_example(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "experiments" / "sweep_wagons_paths.py"), "--replications", "1",
                          "--workers", "2", "--out", str(tmp_path / "sw")], capture_output=True, text=True, check=True)
    assert (tmp_path / "sw" / "sweep.parquet").exists()
    assert out.stdout.strip()


def test_friction_example(tmp_path):
    target = tmp_path / "friction.json"
    out = subprocess.run([sys.executable, str(ROOT / "experiments" / "friction.py"), "--replications", "2",
                          "--variants", "baseline,line24_sabotage_48h,sustainment_both_ways", "--json", str(target)],
                         capture_output=True, text=True, check=True)
    res = json.loads(target.read_text())
    assert "line24_sabotage_48h" in out.stdout
    assert set(res) == {"baseline", "line24_sabotage_48h", "sustainment_both_ways"}
    assert res["line24_sabotage_48h"]["disruptions"][0]["target"] == "L24"
    assert set(res["sustainment_both_ways"]["sustainment"]) == {"east", "west"}
