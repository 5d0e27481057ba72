"""Build hooks of the documentation site (mkdocs.yml names this file): the pages made from the README and the
notebooks rendered with their outputs, so that neither is kept twice in the repository.

- The README is the source of the overview and guide pages: its text up to and including "What it is" opens
  the site (index.md), and each further `##` section becomes the page README_PAGES names. A section without a
  page stops the build, so a new README section cannot silently miss the site.
- The notebooks in notebooks/ are committed without outputs (tests/test_notebooks.py checks it and runs them).
  The site shows them run: taken from the folder RSOM_KEEP_NOTEBOOKS names, where the notebook tests keep
  the notebooks they ran (CI runs them just before the build), when their cells are the committed ones;
  otherwise run here, in a kernel on this Python, without the network (about a minute)."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
NOTEBOOKS = ROOT / "notebooks"
KEPT = "RSOM_KEEP_NOTEBOOKS"  # the notebook tests write the notebooks they ran to this folder
log = logging.getLogger("mkdocs.hooks.rsom")

# README section (its `##` heading, or the part before a colon) -> the page it becomes
README_PAGES = {
    "What it is": "index.md",
    "Friction": "friction.md",
    "Command line": "command-line.md",
    "Plots, notebooks and the exercise report": "plots-and-notebooks.md",
    "From Python": "from-python.md",
    "Speed": "speed.md",
    "Layout": "layout.md",
    "Data and attribution": "data.md",
}


def _sections(text: str) -> list[tuple[str, list[str]]]:
    """The README as (heading, lines) per `##` section, in order; the text before the first one under ''.
    Lines inside fenced code blocks are never headings."""
    out: list[tuple[str, list[str]]] = [("", [])]
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            out.append((line[3:].strip(), [line]))
        else:
            out[-1][1].append(line)
    return out


def _page_of(heading: str) -> str:
    for key, page in README_PAGES.items():
        if heading == key or heading.startswith(key + ":"):
            return page
    raise ValueError(f"README section '## {heading}' has no page: add it to README_PAGES in docs/hooks.py")


def _promoted(lines: list[str]) -> list[str]:
    """A section as a page of its own: its headings one level up (its `##` heading becomes the page's title)."""
    fenced, out = False, []
    for line in lines:
        if line.startswith("```"):
            fenced = not fenced
        out.append(line[1:] if not fenced and line.startswith("##") else line)
    return out


def readme_pages(text: str) -> dict[str, str]:
    """The site's pages made from the README text: page name -> Markdown. Links into docs/ are made relative to
    the site (the pages sit where docs/ does)."""
    pages: dict[str, list[str]] = {}
    for heading, lines in _sections(text):
        if not heading:
            pages["index.md"] = list(lines)
            continue
        page = _page_of(heading)
        pages.setdefault(page, []).extend(lines if page == "index.md" else _promoted(lines))
    return {page: re.sub(r"\]\(docs/", "](", "\n".join(lines)).strip() + "\n" for page, lines in pages.items()}


# ---- notebooks -----------------------------------------------------------------------------------------------
def _cells(nb: Any) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


def _ran(nb: Any) -> bool:
    """Every code cell run, none with an error."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    return all(c.execution_count is not None for c in code) and not any(
        o.get("output_type") == "error" for c in code for o in c.outputs)


def _kept(committed: Any, name: str) -> Any | None:
    """The notebook as the notebook tests ran it, if they kept it (RSOM_KEEP_NOTEBOOKS) and its cells are the
    committed ones."""
    import nbformat

    folder = os.environ.get(KEPT)
    path = Path(folder) / name if folder else None
    if path is None or not path.is_file():
        return None
    nb = nbformat.read(path, as_version=4)
    if _cells(nb) != _cells(committed) or not _ran(nb):
        log.info("%s in %s is not the committed notebook run: running it again", name, folder)
        return None
    return nb


def _run(nb: Any, kernels: Path) -> Any:
    """Run a notebook top to bottom from the notebooks folder, in a kernel on this Python (where sim is
    installed), plots inline; an error in a cell stops the build. The kernel talks over local sockets in the
    build's own folder (IPC), not TCP: nothing listens on a port."""
    import nbclient
    from traitlets.config import Config

    spec = kernels / "kernels" / "rsom-docs"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "rsom docs", "language": "python",
        "env": {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}}), encoding="utf-8")
    before = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(kernels), before]))
    try:
        ipc = Config({"KernelManager": {"transport": "ipc", "ip": str(kernels / "kernel")}})
        nbclient.NotebookClient(nb, config=ipc, kernel_name="rsom-docs", timeout=600,
                                resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    finally:
        if before is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = before
    return nb


def run_notebooks(target: Path) -> list[Path]:
    """Each notebook of notebooks/ run, written to target/notebooks/ (kept by the tests, or run here)."""
    import nbformat

    out_dir = target / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        committed = nbformat.read(path, as_version=4)
        nb = _kept(committed, path.name)
        if nb is None:
            log.info("running %s", path.name)
            nb = _run(committed, target / "jupyter")
        nbformat.write(nb, out_dir / path.name)
        written.append(out_dir / path.name)
    return written


# ---- what the site loads -------------------------------------------------------------------------------------
_ASSET = re.compile(r"<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)


def external_assets(html: str) -> list[str]:
    """The addresses of what a page loads (scripts, style sheets, icons, images, frames) from elsewhere than
    the site itself: http(s) and protocol-relative ones. Links a reader may follow (<a href>) are not loads."""
    return [url for url in _ASSET.findall(html) if re.match(r"(?:https?:)?//", url.strip(), re.IGNORECASE)]


# ---- mkdocs events -------------------------------------------------------------------------------------------
try:
    from mkdocs.plugins import event_priority
except ImportError:  # read without mkdocs installed (the tests of the README's pages)
    def event_priority(priority: float) -> Any:  # type: ignore[misc]
        return lambda f: f

_WORK: list[tempfile.TemporaryDirectory[str]] = []  # the folder of this build's run notebooks


@event_priority(100)  # before mkdocs-jupyter's, which takes the notebooks among the files as pages
def on_files(files: Any, config: Any) -> Any:
    """The README's pages and the run notebooks, added to the site's files."""
    from mkdocs.structure.files import File

    for page, text in readme_pages(README.read_text(encoding="utf-8")).items():
        files.append(File.generated(config, page, content=text))
    _clean_up()
    _WORK.append(tempfile.TemporaryDirectory(prefix="rsom-docs-"))
    work = _WORK[0].name
    for path in run_notebooks(Path(work)):  # a file in a source folder of its own (mkdocs-jupyter reads it from
        files.append(File(f"notebooks/{path.name}", src_dir=work,  # there, not from a virtual file)
                          dest_dir=config["site_dir"], use_directory_urls=config["use_directory_urls"]))
    return files


def on_post_page(output: str, page: Any, config: Any) -> str:
    """A notebook page without the empty MathJax loader nbconvert writes when given no MathJax address: the
    site loads nothing from elsewhere, and the notebooks have no formulas to typeset."""
    if page.file.src_uri.endswith(".ipynb"):
        return output.replace('<script src=""> </script>', "")
    return output


def _clean_up() -> None:
    """The run notebooks are in the site once it is built (rendered, and as downloads): their folder goes."""
    while _WORK:
        _WORK.pop().cleanup()


def on_post_build(config: Any) -> None:
    """The site loads nothing from the internet: a page that would (a theme's web fonts, a script from a CDN)
    stops the build, naming the page and the address."""
    _clean_up()
    from mkdocs.exceptions import PluginError

    site = Path(config["site_dir"])
    found = [f"{page.relative_to(site)}: {url}" for page in sorted(site.rglob("*.html"))
             for url in external_assets(page.read_text(encoding="utf-8"))]
    if found:
        raise PluginError("pages load assets from the internet:\n" + "\n".join(found))


def on_build_error(error: Exception) -> None:
    _clean_up()
