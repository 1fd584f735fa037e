"""The HTML report: self-contained, every figure a valid PNG, and it renders in a browser."""

from __future__ import annotations

import base64
import dataclasses
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from mlflow_project.monitoring.report import render_report
from mlflow_project.monitoring.result import MonitorResult
from mlflow_project.monitoring.summary import build_summary

EMBEDDED_PNG = re.compile(r'<img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">')
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")


@pytest.fixture(scope="module")
def report_file(monitor_result: MonitorResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    summary = build_summary(monitor_result, str(path), None)
    path.write_text(render_report(monitor_result, summary), encoding="utf-8")
    return path


def test_every_figure_is_an_embedded_png_and_nothing_is_fetched(report_file: Path) -> None:
    html = report_file.read_text(encoding="utf-8")
    images = EMBEDDED_PNG.findall(html)
    # 7 checks, quality over time, traffic
    assert [alt for alt, _ in images] == ["source", "customer_tier", "text", "text_length",
                                          "oov_share", "score", "urgent_rate",
                                          "quality over time", "traffic"]
    for alt, payload in images:
        image = Image.open(io.BytesIO(base64.b64decode(payload)))
        assert image.format == "PNG", alt
        image.verify()
    assert html.count("<img") == len(images)
    assert not re.search(r'(src|href)="(https?:|//|file:)', html)


def test_the_report_states_the_verdict_and_the_malformed_line(report_file: Path,
                                                              monitor_result: MonitorResult
                                                              ) -> None:
    html = report_file.read_text(encoding="utf-8")
    assert monitor_result.status == "drift"
    assert '<span class="status bad">drift</span>' in html
    assert "timestamp: Input should be a valid datetime" in html
    assert "1 of 601 lines could not be used" in html
    assert ("<td>watched</td><td>ticket_urgency v1: 600 records (100 required); other versions "
            "in the window: none</td>") in html


def test_insufficient_data_says_so_and_runs_no_check(monitor_result: MonitorResult) -> None:
    absent = dataclasses.replace(monitor_result.watched, model_version="2", records=0)
    result = dataclasses.replace(monitor_result, watched=absent, checks=[], quality=None)
    html = render_report(result, build_summary(result, "report.html", None))
    line = ("insufficient data: 0 of 100 required records of model ticket_urgency v2 (the "
            "window holds ticket_urgency v1: 600 records)")
    assert f'<span class="status bad">{line}</span>' in html
    assert f"<p>no check run: {line}; set by TU_MONITOR_MIN_RECORDS</p>" in html
    assert ("<td>watched</td><td>ticket_urgency v2: 0 records (100 required); other versions "
            "in the window: ticket_urgency v1: 600 records</td>") in html
    assert "DRIFT" not in html
    assert "no drift" not in html


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = ("chromium not installed: the report-rendering test needs it "
               "(apt-get install chromium)")
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def test_the_report_renders_in_headless_chromium(report_file: Path, tmp_path: Path) -> None:
    screenshot = tmp_path / "report.png"
    result = subprocess.run(
        [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={screenshot}", "--window-size=1200,2000", report_file.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert screenshot.is_file(), result.stderr[-2000:]
    image = Image.open(screenshot).convert("RGB")
    assert image.size == (1200, 2000)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None
    assert len(colours) > 50  # text, tables and the plots' colours, not a blank page
    # the first figure (source shares) is on screen: its two bar colours are present
    rgb = {colour for _, colour in colours}
    assert (0x4C, 0x72, 0xB0) in rgb
    assert (0xDD, 0x84, 0x52) in rgb
