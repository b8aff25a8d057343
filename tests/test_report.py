"""The HTML report (``write_report``, ``rare-earth-sim run --out``) and the Jupyter summary."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

import rare_earth_sim as res
from rare_earth_sim.cli import main
from rare_earth_sim.report import report_figures, summary_html, write_report

IMG = re.compile(r'<img alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">')


@pytest.fixture(scope="module")
def halt_report(halt_result: res.SimulationResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(halt_result, tmp_path_factory.mktemp("report"))


def test_report_embeds_every_figure(halt_report: Path, halt_result: res.SimulationResult) -> None:
    assert halt_report.name == "report.html" and halt_report.exists()
    page = halt_report.read_text(encoding="utf-8")
    stems = [stem for stem, *_ in report_figures(halt_result)]
    assert {"shortfall_curves", "stockout_timeline", "stock_levels", "exports", "licence_backlog",
            "material_flows"} <= set(stems)
    embedded = dict(IMG.findall(page))
    assert sorted(embedded) == sorted(stems)
    for stem in stems:
        png = (halt_report.parent / "figures" / f"{stem}.png").read_bytes()
        assert png.startswith(b"\x89PNG")
        assert base64.b64decode(embedded[stem]) == png  # the page holds the same image as the file


def test_report_has_every_automaker_and_the_run_details(halt_report: Path, halt_result: res.SimulationResult) -> None:
    page = halt_report.read_text(encoding="utf-8")
    rows = re.findall(r"<tr>(.*?)</tr>", page.split("Per-automaker metrics")[1].split("</table>")[0])
    m = halt_result.metrics()
    body = [r for r in rows if "<td" in r]
    assert len(body) == len(m)
    for row, (a, name) in zip(body, zip(m["automaker"], m["name"], strict=True), strict=True):
        assert f">{a}<" in row and name in row
    assert "export-halt-2025" in page
    assert "<th>seed</th><td>0</td>" in page
    assert f"<td>{res.__version__}</td>" in page
    assert re.search(r"<th>run date</th><td>\d{4}-\d\d-\d\dT", page)
    assert "Announcement No. 18" in page  # the export-control rule and the disruption window


def test_report_is_self_contained(halt_report: Path) -> None:
    page = halt_report.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:|//|[^"#d][^"]*\.(png|css|js))', page)
    assert "<script" not in page and "<link" not in page


def test_summary_html_and_repr(halt_result: res.SimulationResult) -> None:
    html = halt_result._repr_html_() if hasattr(halt_result, "_repr_html_") else summary_html(halt_result)
    assert html == summary_html(halt_result)
    assert html.startswith("<div") and html.endswith("</div>")
    assert "export-halt-2025" in html and "seed 0" in html
    for name in halt_result.metrics()["name"]:
        assert name in html
    assert "<img" not in html and len(html) < 10_000  # compact
    text = repr(halt_result)
    assert "export-halt-2025" in text and "seed=0" in text and "\n" not in text


def test_cli_run_writes_report_unless_no_plots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a scenario without disruption: no stockout, no licence, still every figure
    assert main(["run", "baseline-2024", "--out", str(tmp_path / "with")]) == 0
    out = capsys.readouterr().out
    path = tmp_path / "with" / "report.html"
    assert f"report: {path}" in out
    page = path.read_text(encoding="utf-8")
    assert "0 of 12 automakers stock out" in page
    assert len(IMG.findall(page)) == len(list((tmp_path / "with" / "figures").glob("*.png"))) >= 6
    assert main(["run", "export-halt-2025", "--out", str(tmp_path / "without"), "--no-plots"]) == 0
    assert (tmp_path / "without" / "metrics.csv").exists()
    assert not (tmp_path / "without" / "report.html").exists()
    assert not (tmp_path / "without" / "figures").exists()
