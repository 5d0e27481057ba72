"""Outputs that cannot be written end the command with one line naming the path and exit code 1, never a
traceback, and never leave a partial file behind."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from netkit import scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim import output
from sim.cli import app
from sim.output import OutputError


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    return write_scenario(folder / "s.yaml", scenario(tiny_network(folder / "net")))


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    text = result.output  # stdout and stderr as the user sees them
    assert "Traceback" not in text
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, text


@pytest.mark.parametrize("command", ["run", "report", "sweep"])
def test_out_naming_a_file_is_one_line_exit_1(tiny: Path, tmp_path: Path, command: str) -> None:
    afile = tmp_path / "taken"
    afile.write_text("not a folder", encoding="utf-8")
    extra = ["--param", "convoy.max_vehicles=10"] if command == "sweep" else []
    code, text = _invoke(command, str(tiny), "--out", str(afile), *extra)
    assert code == 1
    (line,) = [ln for ln in text.splitlines() if ln.strip()]
    assert line.startswith(f"error: {afile}: cannot write:")
    assert afile.read_text(encoding="utf-8") == "not a folder"


def test_out_below_a_file_is_one_line_exit_1(tiny: Path, tmp_path: Path) -> None:
    afile = tmp_path / "taken"
    afile.write_text("x", encoding="utf-8")
    code, text = _invoke("run", str(tiny), "--out", str(afile / "sub"))
    assert code == 1
    assert "cannot write" in text


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_a_failed_write_leaves_no_partial_file_and_keeps_the_old_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   err: int) -> None:
    target = tmp_path / "summary.json"
    target.write_text("old", encoding="utf-8")

    def failing(fh: object) -> None:
        fh.write("half")  # type: ignore[attr-defined]
        raise OSError(err, os.strerror(err))

    with pytest.raises(OutputError, match=os.strerror(err)):
        output.atomic_write(target, failing)
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_a_full_disk_during_run_out_is_one_line_exit_1(tiny: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.replace

    def full(src: str, dst: str) -> None:
        if str(dst).endswith("summary.json"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(src, dst)

    monkeypatch.setattr(output.os, "replace", full)
    code, text = _invoke("run", str(tiny), "--out", str(tmp_path / "out"))
    assert code == 1
    assert f"{tmp_path / 'out' / 'summary.json'}: cannot write: {os.strerror(errno.ENOSPC)}" in text
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]


def test_files_written_whole_get_the_usual_permissions(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    old = os.umask(0o022)
    try:
        output.write_text(target, "<html></html>")
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644
