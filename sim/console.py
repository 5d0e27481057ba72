"""The exercise console: a small web application on 127.0.0.1 (Flask) for the table. It shows the map at a
chosen time with a time slider, the units against their RDD, the queues, a form to inject and one to decide,
and the branches side by side. Every action writes the exercise file, as the `rsom exercise` commands do;
the page and its script come from the package (sim/data/console.html), so it works offline."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request

from .errors import InputError, Problem
from .exercise import at_h, decision_name, inject_name
from .scenario import read_scenario

PAGE = Path(__file__).resolve().parent / "data" / "console.html"
HOST = "127.0.0.1"  # the console serves this machine only: an exercise file is not for the network


def _problems(exc: InputError) -> tuple[Response, int]:
    """A refused request: its problems, each naming file, field and value."""
    return jsonify({"problems": [str(p) for p in exc.reported]}), 400


def make_app(exercise: Path) -> Flask:
    """The console of one exercise file."""
    from . import tabletop
    from .plan import compile_plan, resolve_network
    from .plots import plot_situation
    from .situation import Situation, situation

    app = Flask("rsom-console")
    path = Path(exercise)
    tabletop.load_exercise(path)  # a file that is not an exercise is refused before anything is served
    cache: dict[tuple[float, str, float], Situation] = {}
    app.register_error_handler(InputError, _problems)  # every route: bad input is a 400 with its problems

    def state(t: float | None, branch: str | None) -> Situation:
        s = read_scenario(path)
        assert s.exercise is not None
        if branch:
            s = s.model_copy(update={"exercise": s.exercise.model_copy(update={"branch": branch})})
        when = at_h(s.exercise.now if s.exercise else "0", s) if t is None else t
        key = (round(when, 6), branch or "", path.stat().st_mtime)
        if key not in cache:
            if len(cache) > 32:
                cache.clear()
            cache[key] = situation(compile_plan(s, str(path), resolve_network(s, path)), when)
        return cache[key]

    def t_arg() -> float | None:
        v = request.args.get("t")
        return None if v in (None, "") else float(v)

    @app.get("/")
    def page() -> Response:
        return Response(PAGE.read_text(encoding="utf-8"), mimetype="text/html")

    @app.get("/api/exercise")
    def info() -> Any:
        s = read_scenario(path)
        x = s.exercise
        assert x is not None
        return jsonify({
            "name": s.name, "file": str(path), "now": x.now, "now_h": at_h(x.now, s),
            "horizon_h": s.horizon_h, "start": s.start.isoformat() if s.start else None,
            "injects": [{"name": inject_name(i), "at": i.at, "kind": i.kind, "target": i.target,
                         "duration_h": i.duration_h, "note": i.note} for i in x.injects],
            "decisions": [{"name": decision_name(d), "at": d.at, "kind": d.kind, "branch": b, "note": d.note}
                          for b, ds in [("", x.decisions), *sorted(x.branches.items())] for d in ds],
            "branches": sorted(x.branches)})

    @app.get("/api/state")
    def api_state() -> Any:
        return jsonify(_clean(state(t_arg(), request.args.get("branch") or None).as_dict()))

    @app.get("/map.png")
    def map_png() -> Any:
        st = state(t_arg(), request.args.get("branch") or None)
        buf = io.BytesIO()
        plot_situation(st).savefig(buf, format="png", dpi=80)
        return Response(buf.getvalue(), mimetype="image/png")

    @app.post("/api/advance")
    def api_advance() -> Any:
        tabletop.advance(path, str((request.get_json(silent=True) or {}).get("to", "")))
        return info()

    @app.post("/api/inject")
    def api_inject() -> Any:
        tabletop.inject(path, _fields(request.get_json(silent=True) or {}))
        return info()

    @app.post("/api/decide")
    def api_decide() -> Any:
        body = _fields(request.get_json(silent=True) or {})
        branch = body.pop("branch", None) or None
        tabletop.decide(path, body, branch)
        return info()

    @app.get("/api/compare")
    def api_compare() -> Any:
        from .compare import as_json

        frame = tabletop.compare_branches(path, int(request.args.get("replications", 1)))
        return jsonify(_clean(as_json(frame)))

    return app


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    """A form's fields as an inject's or decision's: empty ones left out, numbers as numbers (a field that
    is not one is an InputError naming it)."""
    out: dict[str, Any] = {}
    for k, v in body.items():
        if v in (None, ""):
            continue
        try:
            out[k] = float(v) if k in ("duration_h", "capacity_factor", "lead_h", "factor") else int(v) if k in ("count", "priority") \
                else v
        except (TypeError, ValueError):
            raise InputError([Problem("(console form)", k, v, "not a number")]) from None
    return out


def _clean(x: Any) -> Any:
    """JSON-safe: NaN and infinities as null."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_clean(v) for v in x]
    if hasattr(x, "item"):  # numpy scalars
        return _clean(x.item())
    return x


def serve(exercise: Path, port: int = 8050) -> None:
    """Serve the console of the exercise on 127.0.0.1:port until interrupted."""
    app = make_app(exercise)
    print(f"exercise console on http://{HOST}:{port}/ (Ctrl+C to stop)")
    app.run(host=HOST, port=port, debug=False, use_reloader=False)
