"""A self-contained HTML report of one simulation, and the compact Jupyter summary.

:func:`write_report` saves every figure of :mod:`rare_earth_sim.plot` as a PNG and
writes ``report.html`` with the figures embedded (base64), so the file opens in a
browser with no server and can be mailed on its own. Figures are drawn on
:class:`matplotlib.figure.Figure` objects with the Agg canvas: no pyplot state, no
change of backend.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .chain import BUILD as chain_build

if TYPE_CHECKING:
    from .results import SimulationResult

__all__ = ["write_report", "summary_html", "report_figures", "FIGURE_DPI"]

#: Resolution of the saved PNGs (dots per inch).
FIGURE_DPI = 100

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto;
       max-width: 1150px; color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.8em; }
table { border-collapse: collapse; font-size: 0.88em; margin: 0.5em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; }
table.meta td, table.meta th { text-align: left; border: none; padding: 0.1em 0.8em 0.1em 0; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #555; }
.note { color: #555; font-size: 0.9em; }
"""


def _observed_exports() -> pd.DataFrame | None:
    from . import data

    try:
        return data.magnet_exports()
    except (OSError, ValueError):  # the packaged data are optional for a report
        return None


def report_figures(result: SimulationResult) -> list[tuple[str, str, Callable[[Axes], Axes], tuple[float, float]]]:
    """The report's figures: (file stem, caption, draw(ax) -> Axes, figure size in inches)."""
    from . import plot

    observed = _observed_exports()
    return [
        ("shortfall_curves", "Cumulative vehicles lost per automaker (disruption windows shaded).",
         lambda ax: plot.shortfall_curves(result, ax=ax), (10.0, 5.0)),
        ("shortfall_curves_pct", "Cumulative vehicles lost as % of the output planned since the start.",
         lambda ax: plot.shortfall_curves(result, percent=True, ax=ax), (10.0, 5.0)),
        ("stockout_timeline", "Stockout timeline: one bar per stockout interval; dashed lines mark "
         "export-control rules.", lambda ax: plot.stockout_timeline(result, ax=ax), (10.0, 5.0)),
        ("stock_levels", "Automakers' magnet stock in days of cover (the scarcer grade).",
         lambda ax: plot.stock_levels(result, ax=ax), (10.0, 5.0)),
        ("exports", "China's magnet exports by month and destination; black: observed customs data "
         "(rare_earth_sim.data.magnet_exports, hollow = inferred).",
         lambda ax: plot.exports(result, observed=observed, ax=ax), (10.0, 5.0)),
        ("licence_backlog", "Export-licence applications waiting, approved and refused.",
         lambda ax: plot.licence_backlog(result, ax=ax), (10.0, 5.0)),
        ("material_flows", "Material flows over the reported horizon: each stage balances "
         "(in = out + stock change).", lambda ax: plot.material_flows(result, ax=ax), (14.0, 8.0)),
    ]


def _render(draw: Callable[[Axes], Axes], size: tuple[float, float]) -> bytes:
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    draw(fig.add_subplot())
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=FIGURE_DPI)
    return buf.getvalue()


def _num(x: Any, fmt: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NaT:
        return "–"
    if isinstance(x, float) and math.isinf(x):
        return "∞"
    return format(x, fmt)


def _metrics_rows(result: SimulationResult) -> tuple[list[str], list[list[tuple[str, str]]]]:
    m = result.metrics()
    head = ["automaker", "name", "region", "first stockout", "TTS (days)", "TTR (days)", "stockouts",
            "stockout days", "fill rate", "vehicles lost", "lost (% of planned)", "peak shortfall (t/day)"]
    rows = []
    for r in m.itertuples(index=False):
        first = "–" if pd.isna(r.first_stockout) else pd.Timestamp(r.first_stockout).strftime("%Y-%m-%d")
        rows.append([("l", r.automaker), ("l", r.name), ("l", r.region), ("l", first),
                     ("", _num(r.tts_days, ".0f")), ("", _num(r.ttr_days, ".0f")), ("", _num(r.stockouts, "d")),
                     ("", _num(r.stockout_days, ".1f")), ("", _num(r.fill_rate, ".1%")),
                     ("", _num(r.vehicles_lost, ",.0f")), ("", _num(r.vehicles_lost_pct, ".2f")),
                     ("", _num(r.peak_shortfall_t_per_day, ".2f"))])
    return head, rows


def _table(head: list[str], rows: list[list[tuple[str, str]]], cls: str = "") -> str:
    left = {i for i, (c, _v) in enumerate(rows[0]) if c == "l"} if rows else set()

    def cell(tag: str, c: str, v: str) -> str:
        cls_attr = f' class="{c}"' if c else ""
        return f"<{tag}{cls_attr}>{html.escape(v)}</{tag}>"

    th = "".join(cell("th", "l" if i in left else "", h) for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(cell("td", c, str(v)) for c, v in row) + "</tr>" for row in rows)
    attr = f' class="{cls}"' if cls else ""
    return f"<table{attr}><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _frame_table(df: pd.DataFrame) -> str:
    if df.empty:
        return '<p class="note">none</p>'
    rows = [[("l", "–" if pd.isna(v) else (v.strftime("%Y-%m-%d") if isinstance(v, pd.Timestamp) else str(v)))
             for v in rec] for rec in df.itertuples(index=False)]
    return _table(list(df.columns), rows)


def _version() -> str:
    from . import __version__

    return str(__version__)


def _headline(result: SimulationResult) -> str:
    m = result.metrics()
    hit = int((m["stockouts"] > 0).sum())
    return (f"{hit} of {len(m)} automakers stock out; {m['vehicles_lost'].sum():,.0f} vehicles lost "
            f"({100.0 * m['vehicles_lost'].sum() / max(m['vehicles_planned'].sum(), 1e-12):.2f} % of planned output)")


def summary_html(result: SimulationResult) -> str:
    """Compact HTML summary of a result (what Jupyter shows for a ``SimulationResult``).

    Parameters
    ----------
    result : SimulationResult
        One replication.

    Returns
    -------
    str
        An HTML fragment: scenario, seed, horizon, headline numbers and the
        per-automaker metrics (first stockout, TTS, TTR, fill rate, vehicles lost).
    """
    m = result.metrics()
    head = ["automaker", "first stockout", "TTS (d)", "TTR (d)", "fill rate", "vehicles lost"]
    rows = []
    for r in m.itertuples(index=False):
        first = "–" if pd.isna(r.first_stockout) else pd.Timestamp(r.first_stockout).strftime("%Y-%m-%d")
        rows.append([("l", r.name), ("l", first), ("", _num(r.tts_days, ".0f")), ("", _num(r.ttr_days, ".0f")),
                     ("", _num(r.fill_rate, ".1%")), ("", _num(r.vehicles_lost, ",.0f"))])
    title = html.escape(f"SimulationResult: {result.scenario.name}")
    meta = html.escape(f"seed {result.seed}, {result.start} .. {result.end}; {_headline(result)}")
    return (f'<div class="rare-earth-sim-result"><strong>{title}</strong><br>'
            f'<span style="font-size:0.9em">{meta}</span>{_table(head, rows)}</div>')


def write_report(result: SimulationResult, out_dir: str | Path) -> Path:
    """Write the figures (PNG) and a self-contained ``report.html`` for one result.

    Parameters
    ----------
    result : SimulationResult
        One replication.
    out_dir : str or Path
        Folder to write to (created if needed). Figures go to ``out_dir/figures/``.

    Returns
    -------
    Path
        The path of ``report.html``.
    """
    out = Path(out_dir)
    figdir = out / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    figures = []
    for stem, caption, draw, size in report_figures(result):
        png = _render(draw, size)
        (figdir / f"{stem}.png").write_bytes(png)
        figures.append((stem, caption, base64.b64encode(png).decode("ascii")))
    sc = result.scenario
    description = str(sc.data["scenario"].get("description", "")) if hasattr(sc, "data") else ""
    meta = [("scenario", sc.name), ("description", description), ("source", str(getattr(sc, "source", ""))),
            ("seed", str(result.seed)), ("horizon", f"{result.start} .. {result.end}"),
            ("rare_earth_sim version", _version()),
            ("run date", dt.datetime.now().astimezone().isoformat(timespec="seconds")),
            ("simulation", f"{result.events:,} events in {result.elapsed_s * 1000:.0f} ms"),
            ("model build", chain_build)]
    meta_html = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in meta)
    head, rows = _metrics_rows(result)
    figs_html = "".join(
        f'<figure id="{stem}"><img alt="{html.escape(stem)}" src="data:image/png;base64,{b64}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>" for stem, caption, b64 in figures)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(sc.name)}: rare_earth_sim report</title>
<style>{_CSS}</style></head>
<body>
<h1>{html.escape(sc.name)}</h1>
<p>{html.escape(_headline(result))}.</p>
<table class="meta">{meta_html}</table>
<h2>Per-automaker metrics</h2>
<p class="note">TTS: days from the start of the first disruption window to the first stockout (∞: none).
TTR: days from the end of that window to full production. Fill rate: magnets delivered / demanded.</p>
{_table(head, rows)}
<h2>Disruption windows</h2>
{_frame_table(result.disruptions())}
<h2>Export-control rules</h2>
{_frame_table(result.control_rules())}
<h2>Figures</h2>
{figs_html}
<p class="note">Written by rare_earth_sim {html.escape(_version())}. Tables: the CSV files next to this
report (when written by <code>rare-earth-sim run</code>).</p>
</body></html>
"""
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
