"""Figures as plain dicts in a self-contained page: plotly.js inlined once, no plotly.graph_objects.

Why: building a figure through plotly.graph_objects validates every property on assignment and
imports hundreds of modules (over 2 s for the Gantt of helion-max); a figure is only JSON for
plotly.js, so the charts that matter for speed are written as dicts and serialised here.
Rules: the page stays offline (the library is read from the installed plotly package, inlined in
the first figure's <script>); the same figure gives the same bytes (fixed div ids, sorted nothing,
json.dumps with fixed separators); NaN becomes null, as plotly.js expects.
"""
from __future__ import annotations

import json
import math
from functools import cache, lru_cache
from importlib.util import find_spec
from pathlib import Path

CONFIG = {"displaylogo": False, "responsive": True}


@cache
def _package_data() -> Path:
    """The installed plotly package's data folder, found without importing plotly (its
    `__init__` costs more than the rest of a deployment's report)."""
    return Path(find_spec("plotly").submodule_search_locations[0]) / "package_data"


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle that the installed plotly package ships (read once per process)."""
    return (_package_data() / "plotly.min.js").read_text(encoding="utf-8")


@cache
def template(name: str = "plotly_white") -> dict:
    """A plotly layout template (its JSON from the plotly package, without importing plotly.io)."""
    return json.loads((_package_data() / "templates" / f"{name}.json").read_text("utf-8"))


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def figure_div(data: list[dict], layout: dict, div_id: str, include_plotlyjs: bool) -> str:
    """One figure as a <div> and the <script> that draws it (with plotly.js itself when
    `include_plotlyjs`: the page's first figure)."""
    layout = {"template": template(layout.pop("template", "plotly_white")), **layout}
    payload = json.dumps([_clean(data), _clean(layout)], separators=(",", ":"), ensure_ascii=False)
    payload = payload.replace("</", "<\\/")  # no text from the inputs can close the <script>
    library = (f'<script type="text/javascript">window.PlotlyConfig = {{MathJaxConfig: "local"}};</script>\n'
               f'<script type="text/javascript">{plotly_js()}</script>\n') if include_plotlyjs else ""
    config = json.dumps(CONFIG, separators=(",", ":"))
    return (f"<div>{library}<div id=\"{div_id}\" class=\"plotly-graph-div\" style=\"height:{layout.get('height', 450)}px;"
            f" width:100%;\"></div><script type=\"text/javascript\">(function(){{var f={payload};"
            f"Plotly.newPlot(\"{div_id}\", f[0], f[1], {config});}})();</script></div>")


def captioned_figures(figures, id_prefix: str, first: bool) -> tuple[list[str], bool]:
    """Report parts for `figures`, each (key, caption, figure dict or None, what to say without
    one): an <h4> caption and the figure (div id `id_prefix-key`), or the note; plotly.js is
    inlined with the first figure drawn when `first`. Returns the parts and whether plotly.js
    still has to be inlined."""
    from html import escape

    parts = []
    for key, caption, fig, absent in figures:
        if fig is None:
            parts.append(f'<p class="note">{escape(absent)}</p>')
            continue
        parts.append(f"<h4>{escape(caption)}</h4>")
        parts.append(figure_div(fig["data"], fig["layout"], f"{id_prefix}-{key}", include_plotlyjs=first))
        first = False
    return parts, first
