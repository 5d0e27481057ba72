"""Results tables in CSV and Excel as well as Parquet: each reads back as written (Excel to its own 15
significant digits), and the summary of the tables read back is the summary of the run."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.paths import builtin_scenario
from sim.plan import load_plan
from sim.results import SAVED_TABLES, Results
from sim.runner import run_replication


@pytest.fixture(scope="module")
def results():
    return run_replication(load_plan(builtin_scenario()))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_csv_and_parquet_read_back_exactly(results, tmp_path, fmt):
    results.save(tmp_path, fmt)
    back = Results.load(tmp_path)
    for name in SAVED_TABLES:
        pd.testing.assert_frame_equal(getattr(back, name), getattr(results, name), check_exact=True, obj=name)
    assert back.summary() == results.summary()


@pytest.mark.slow
def test_excel_reads_back_to_fifteen_digits(results, tmp_path):
    results.save(tmp_path, "xlsx")
    assert (tmp_path / "tables.xlsx").exists()
    assert not list(tmp_path.glob("*.parquet"))
    back = Results.load(tmp_path)
    for name in SAVED_TABLES:
        pd.testing.assert_frame_equal(getattr(back, name), getattr(results, name), rtol=1e-14, obj=name)
    assert back.summary() == results.summary()
    with pd.ExcelFile(tmp_path / "tables.xlsx") as book:  # closed here, not whenever the collector runs
        sheets = book.sheet_names
    assert {"moves", "units", "trains", "resource_stats"} <= set(sheets)


def test_a_text_that_looks_like_a_number_stays_text(tmp_path):
    from sim.tables_io import read_tables, write_tables
    frame = pd.DataFrame({"unit": ["1", "007", ""], "n": [1, 2, 3], "t": [0.1, float("nan"), 2.5], "ok": [True, False, True]})
    for fmt in ("csv", "xlsx"):
        d = tmp_path / fmt
        d.mkdir()
        write_tables(d, {"x": frame}, fmt)
        pd.testing.assert_frame_equal(read_tables(d, ("x",))["x"], frame, check_exact=True)


def test_run_writes_the_format_asked_and_refuses_an_unknown_one(tmp_path):
    out = CliRunner().invoke(app, ["run", "--out", str(tmp_path / "r"), "--format", "csv"])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "r" / "moves.csv").exists()
    assert (tmp_path / "r" / "units.csv").exists()
    bad = CliRunner().invoke(app, ["run", "--out", str(tmp_path / "s"), "--format", "ods"])
    assert bad.exit_code == 2
    assert "--format" in bad.output
