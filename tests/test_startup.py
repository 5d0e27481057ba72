"""Start-up of a command: the objects the package's imports made are frozen in a command's own process only."""

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(("argv0", "frozen"), [("rsom", True), ("-m", True), ("notebook.py", False)])
def test_only_a_command_freezes_what_the_imports_made(argv0, frozen):
    """`rsom` and `python -m sim...` freeze the objects the package's imports made (start-up); a program that
    imports the package keeps its collector as it was, enabled and with nothing frozen."""
    code = f"import sys; sys.argv = [{argv0!r}]; import gc, sim; print(gc.get_freeze_count() > 0, gc.isenabled())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.stdout.split() == [str(frozen), "True"]
