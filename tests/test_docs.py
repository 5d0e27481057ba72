"""The documentation site (mkdocs.yml, docs/): the command line reference is current and complete, every README
section has its page and every page is in the navigation, the deployment list example is valid, the site loads
nothing from the internet, and the notebooks the tests ran are taken only when they are the committed ones.
(.ci/run builds the site itself with `mkdocs build --strict`.)"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
import typer
import yaml
from typer.testing import CliRunner

from sim.cli import app
from sim.clidoc import CLI_REFERENCE_FILE, main, markdown
from sim.plan import load_plan

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- the command line reference -------------------------------------------------------------------------------
def test_the_cli_reference_is_up_to_date(tmp_path: Path) -> None:
    committed = (ROOT / CLI_REFERENCE_FILE).read_text(encoding="utf-8")
    assert committed == markdown(), f"{CLI_REFERENCE_FILE} is stale: run `python -m sim.clidoc {CLI_REFERENCE_FILE}`"
    main([str(tmp_path / "cli.md")])
    assert (tmp_path / "cli.md").read_text(encoding="utf-8") == committed


def _section(text: str, command: str) -> str:
    return text.split(f"## `rsom {command}`\n", 1)[1].split("\n## ", 1)[0]


def test_the_cli_reference_shows_every_command_option_and_help_text() -> None:
    """Checked against the command typer builds (what `rsom --help` lists), not against the reference's source."""
    text = markdown()
    group = typer.main.get_command(app)
    commands = group.commands  # type: ignore[attr-defined]
    assert set(commands) >= {"run", "validate", "compare", "report", "replay", "deployment-list", "list", "init"}
    flat = {}
    for name, command in commands.items():  # a group's commands as `rsom exercise start`
        subs = getattr(command, "commands", None)
        flat |= {f"{name} {sub}": c for sub, c in subs.items()} if subs else {name: command}
    assert {"exercise start", "exercise state", "exercise console"} <= set(flat)
    for name, command in flat.items():
        assert f"| [`rsom {name}`](#rsom-{name.replace(' ', '-')}) |" in text, name
        section = _section(text, name)
        for param in command.params:
            if param.param_type_name == "option":
                for opt in param.opts:
                    assert f"`{opt}`" in section, (name, opt)
            else:
                assert f"`{param.name.upper()}`" in section, (name, param.name)
            if param.help:
                assert " ".join(param.help.split()).replace("|", "\\|") in section, (name, param.name)
    run = _section(text, "run")
    assert "rsom run [OPTIONS] [SCENARIO]" in run
    assert "| `--format` | text | `parquet` |" in run
    assert "| `--json` | flag | off | Print exactly one JSON object on stdout |" in run
    assert "rsom deployment-list [OPTIONS] SCENARIO" in _section(text, "deployment-list")
    assert "| `--out`, `-o` | path | required |" in _section(text, "deployment-list")


def test_the_help_the_reference_shows_is_what_help_prints() -> None:
    result = CliRunner().invoke(app, ["deployment-list", "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
    assert result.exit_code == 0
    assert "Write a scenario's forces as a deployment list" in result.output
    assert "Write a scenario's forces as a deployment list" in _section(markdown(), "deployment-list")


# ---- pages and navigation ------------------------------------------------------------------------------------
def _nav_files(nav: list) -> list[str]:
    out: list[str] = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        out += _nav_files(value) if isinstance(value, list) else [value]
    return out


def test_every_readme_section_has_a_page_and_every_page_is_in_the_navigation() -> None:
    hooks = _hooks()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pages = hooks.readme_pages(readme)
    assert set(pages) == set(hooks.README_PAGES.values())
    headings = re.findall(r"^## (.+)$", re.sub(r"```.*?```", "", readme, flags=re.DOTALL), flags=re.MULTILINE)
    for heading in headings:  # each section's text is on its page
        page = hooks._page_of(heading)
        assert (f"## {heading}" if page == "index.md" else f"# {heading}") in pages[page], heading
    assert pages["index.md"].startswith("# belgium-rsom\n")
    assert "](docs/" not in "".join(pages.values())  # links into docs/ made relative to the site
    assert "](deployment-lists.md)" in pages["index.md"]
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = _nav_files(config["nav"])
    written = {p.name for p in DOCS.glob("*.md")}
    notebooks = {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert sorted(nav) == sorted(set(pages) | written | notebooks)
    assert {"cli-reference.md", "scenario-reference.md", "deployment-lists.md"} <= written


def test_a_readme_section_without_a_page_stops_the_build() -> None:
    with pytest.raises(ValueError, match="README section '## Something new' has no page"):
        _hooks().readme_pages("# belgium-rsom\n\n## What it is\n\ntext\n\n## Something new\n\nmore\n")


def test_a_section_page_moves_its_headings_up_but_not_its_code() -> None:
    pages = _hooks().readme_pages("# t\n\n## What it is\n\nx\n\n## Speed\n\n### Why\n\n```bash\n## not a heading\n```\n")
    assert pages["speed.md"] == "# Speed\n\n## Why\n\n```bash\n## not a heading\n```\n"
    assert pages["index.md"] == "# t\n\n## What it is\n\nx\n"


def test_the_site_loads_nothing_from_the_internet() -> None:
    """The check the build runs on every page (docs/hooks.py on_post_build), on pages that would break it."""
    found = _hooks().external_assets(
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
        '<script src="//unpkg.com/iframe-worker/shim"></script><script src="assets/x.js"></script>'
        '<img src="notebooks/plot.png"><a href="https://example.org/">a link is no load</a>')
    assert found == ["https://fonts.googleapis.com/css?family=Roboto", "//unpkg.com/iframe-worker/shim"]
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["theme"]["font"] is False  # no Google Fonts
    jupyter = next(p["mkdocs-jupyter"] for p in config["plugins"] if isinstance(p, dict) and "mkdocs-jupyter" in p)
    assert jupyter["execute"] is False  # the hooks give the notebooks run
    shim = DOCS / config["extra"]["polyfills"][0]
    assert shim.is_file()  # the offline search's shim, from the site itself


# ---- the deployment lists page -------------------------------------------------------------------------------
def test_the_deployment_list_example_is_valid(tmp_path: Path) -> None:
    text = (DOCS / "deployment-lists.md").read_text(encoding="utf-8")
    (scenario,) = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    (lines,) = re.findall(r"```csv\n(.*?)```", text, flags=re.DOTALL)
    data = yaml.safe_load(scenario)
    (tmp_path / data["deployment_list"]).write_text(lines, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(scenario, encoding="utf-8")
    plan = load_plan(tmp_path / "s.yaml")
    assert len(plan.pieces) == 69
    assert plan.personnel_total == 270
    assert plan.warnings == []
    header = lines.splitlines()[0].split(",")
    table = re.findall(r"^\| `(\w+)` \|", text, flags=re.MULTILINE)
    assert table == header  # the columns table names every column, in order


# ---- notebooks ---------------------------------------------------------------------------------------------------
def test_kept_notebooks_are_taken_only_when_they_are_the_committed_ones_run(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    hooks = _hooks()
    committed = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"),
                                                nbformat.v4.new_code_cell("1 + 1")])
    ran = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"),
                                          nbformat.v4.new_code_cell("1 + 1", execution_count=1, outputs=[
                                              nbformat.v4.new_output("execute_result", {"text/plain": "2"},
                                                                     execution_count=1)])])
    nbformat.write(ran, tmp_path / "a.ipynb")
    monkeypatch.setenv(hooks.KEPT, str(tmp_path))
    assert hooks._kept(committed, "a.ipynb") is not None
    assert hooks._kept(committed, "b.ipynb") is None  # not kept
    ran.cells[1].source = "1 + 2"  # an older notebook than the committed one
    nbformat.write(ran, tmp_path / "a.ipynb")
    assert hooks._kept(committed, "a.ipynb") is None
    nbformat.write(committed, tmp_path / "a.ipynb")  # kept, but not run
    assert hooks._kept(committed, "a.ipynb") is None
    monkeypatch.delenv(hooks.KEPT)
    assert hooks._kept(committed, "a.ipynb") is None
