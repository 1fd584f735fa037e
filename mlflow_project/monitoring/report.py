"""The self-contained HTML report of a run: every figure is an embedded PNG, nothing external.

One page: the verdict, the inputs' identities, a table of every check, one section per check with
its reference-vs-window figure, delayed-label quality (when labels exist), traffic, and the
malformed lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

import numpy as np

from mlflow_project.monitoring import plots
from mlflow_project.monitoring.checks import CheckResult
from mlflow_project.monitoring.result import MonitorResult

STYLE = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{margin-bottom:4px} h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0} td,th{border:1px solid #ccc;padding:4px 8px;
text-align:left;font-size:14px} th{background:#f3f3f3}
.status{display:inline-block;padding:4px 10px;border-radius:4px;color:#fff;font-weight:600}
.ok{background:#2e7d32} .bad{background:#c62828} .muted{color:#777}
img{max-width:100%;display:block;margin:8px 0}
"""
CHECK_TITLES: Mapping[str, str] = {
    "source": "Source channel", "customer_tier": "Customer tier",
    "text": "Text representation (TF-IDF + TruncatedSVD components)",
    "text_length": "Text length (characters)",
    "oov_share": "Share of words outside the model's vocabulary",
    "score": "Urgency score distribution", "urgent_rate": "Urgent rate",
}


def render_report(result: MonitorResult, summary: Mapping[str, Any]) -> str:
    """The complete HTML page for one run."""
    sections = [
        _header(result, summary),
        _checks_table(result),
        *(_check_section(check, result.model.threshold) for check in result.checks),
        _quality_section(result),
        _traffic_section(result),
        _malformed_section(result),
    ]
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Monitoring report: {escape(result.status_line)}</title>"
            f"<style>{STYLE}</style></head><body>{''.join(sections)}</body></html>")


def _header(result: MonitorResult, summary: Mapping[str, Any]) -> str:
    config, reference = result.config, result.reference
    good = result.status == "ok"
    run = summary.get("mlflow") or {}
    rows = [
        ("model", f"{result.model.name} version {result.model.version} ({config.model_uri}), "
                  f"threshold {result.model.threshold:.4f}"),
        ("watched", result.watched.describe()),
        ("window", f"{config.since.isoformat()} to {config.until.isoformat()} (until excluded)"),
        ("logs", config.logs),
        ("records", f"{len(result.window.records):,} in the window "
                    f"({result.watched.records:,} from the watched version), "
                    f"{result.window.malformed:,} malformed lines, "
                    f"{result.window.outside_window:,} outside the window, "
                    f"{result.window.other_entries:,} other log entries, "
                    f"{result.window.files} files; input checks on "
                    f"{len(result.window.inputs):,} of them"),
        ("reference", f"{reference.uri} (sha256 {reference.sha256[:16]}..., {reference.origin}), "
                      f"{len(reference.tickets):,} rows; model checks use "
                      f"{reference.model_origin} ({len(reference.model_tickets):,} rows)"),
        ("tests", f"engine {config.engine}, alpha {config.alpha} for the run = "
                  f"{summary['alpha_per_check']:.4g} per check, text components corrected with "
                  f"{config.correction}"),
        ("MLflow run", str(run.get("run_id", "not logged"))),
    ]
    notes = "".join(f"<p class=\"muted\">note: {escape(n)}</p>" for n in reference.notes)
    return (f"<h1>Ticket urgency monitoring</h1><p><span class=\"status "
            f"{'ok' if good else 'bad'}\">{escape(result.status_line)}</span></p>"
            f"{_table(('', ''), rows, show_header=False)}{notes}")


def _checks_table(result: MonitorResult) -> str:
    if not result.watched.sufficient:
        return (f"<h2>Checks</h2><p>no check run: {escape(result.watched.status_line())}; "
                "set by TU_MONITOR_MIN_RECORDS</p>")
    checks = result.checks
    rows = [(c.name, c.group, c.test, _number(c.statistic), _number(c.p_value),
             f"{c.alpha:.4g}",
             f"skipped: {c.skipped}" if c.skipped else ("DRIFT" if c.drift else "no drift"))
            for c in checks]
    return "<h2>Checks</h2>" + _table(
        ("check", "group", "test", "statistic", "p-value (corrected)", "level", "verdict"), rows)


def _check_section(check: CheckResult, threshold: float) -> str:
    title = CHECK_TITLES.get(check.name, check.name)
    verdict = ("skipped: " + check.skipped if check.skipped
               else f"{'DRIFT' if check.drift else 'no drift'}: p = {_number(check.p_value)} "
                    f"(level {check.alpha:.4g})")
    figure = "" if check.skipped else _check_figure(check, threshold)
    return f"<h2>{escape(title)}</h2><p>{escape(verdict)}</p>{figure}"


def _check_figure(check: CheckResult, threshold: float) -> str:
    details = check.details
    if check.name in ("source", "customer_tier"):
        png = plots.category_shares(details["reference_shares"], details["current_shares"],
                                    CHECK_TITLES[check.name])
        return _image(png, check.name) + _table(
            ("category", "reference share", "window share"),
            [(k, f"{details['reference_shares'].get(k, 0.0):.3f}",
              f"{details['current_shares'].get(k, 0.0):.3f}")
             for k in sorted(set(details["reference_shares"]) | set(details["current_shares"]))])
    if check.name == "text":
        drifted = [p < check.alpha for p in details["component_adjusted_p_values"]]
        png = plots.component_distances(details["component_statistics"], drifted,
                                        f"{details['components_drifted']} of "
                                        f"{details['components']} components drifted")
        return _image(png, check.name)
    if check.name == "urgent_rate":
        png = plots.rates(details["reference_rate"], details["current_rate"], "Urgent rate")
        return _image(png, check.name) + (
            f"<p>reference (model on reference data) {details['reference_rate']:.3%}, window "
            f"{details['current_rate']:.3%}</p>")
    if check.reference is None or check.current is None:
        return ""
    marker = threshold if check.name == "score" else None
    png = plots.distributions(np.asarray(check.reference, dtype=float),
                              np.asarray(check.current, dtype=float),
                              CHECK_TITLES[check.name], check.name, marker)
    return _image(png, check.name) + (
        f"<p>mean: reference {details['reference_mean']:.4g}, window "
        f"{details['current_mean']:.4g}; median: reference {details['reference_median']:.4g}, "
        f"window {details['current_median']:.4g}</p>")


def _quality_section(result: MonitorResult) -> str:
    quality = result.quality
    if result.config.feedback and not result.watched.sufficient:
        return ("<h2>Quality on delayed labels</h2><p class=\"muted\">not judged: insufficient "
                "data</p>")
    if quality is None:
        return ("<h2>Quality on delayed labels</h2><p class=\"muted\">no feedback file given "
                "(--feedback)</p>")
    rows = [(m, _number(quality.metrics.get(m)), _number(quality.validation.get(m)),
             "yes" if m in quality.breached else "no")
            for m in ("precision", "recall", "f1", "roc_auc")]
    figure = (_image(plots.quality_over_time(quality.over_time), "quality over time")
              if len(quality.over_time) else "")
    verdict = "BREACH" if quality.breach else ("ok" if quality.judged else "not judged")
    return (f"<h2>Quality on delayed labels</h2><p>{verdict}: {escape(quality.reason)}</p>"
            f"<p>{quality.labelled:,} labelled predictions ({quality.coverage:.1%} of the "
            f"window's distinct scored tickets); {quality.unmatched_labels:,} labels for tickets "
            f"outside the window ignored; tolerance {quality.tolerance:.2f}, judged from "
            f"{quality.min_labels} labels</p>"
            + _table(("metric", "window", "validation", "breached"), rows) + figure)


def _traffic_section(result: MonitorResult) -> str:
    summary = result.volume.summary
    latency = ", ".join(f"{k} {v:.1f} ms" for k, v in summary["latency_ms"].items())
    shares = [(f"variant {k}", f"{v:.1%}") for k, v in summary["variant_shares"].items()]
    shares += [(f"model {k}", f"{v:.1%}") for k, v in summary["model_version_shares"].items()]
    per_hour = summary["records_per_hour"]
    return ("<h2>Traffic</h2>" + _image(plots.records_per_hour(result.volume.per_hour), "traffic")
            + f"<p>records per hour: mean {per_hour['mean']:.1f}, min {per_hour['min']}, max "
              f"{per_hour['max']}; hours without any record: {summary['empty_hours']}; "
              f"latency {escape(latency) or 'n/a'}</p>"
            + _table(("share of records", ""), shares))


def _malformed_section(result: MonitorResult) -> str:
    window = result.window
    if not window.malformed:
        return "<h2>Malformed log lines</h2><p>none</p>"
    reasons = sorted(window.malformed_reasons.items(), key=lambda item: -item[1])
    examples = [(e.file, str(e.line), e.reason) for e in window.malformed_examples]
    return (f"<h2>Malformed log lines</h2><p>{window.malformed:,} of {window.lines:,} lines "
            "could not be used</p>" + _table(("reason", "lines"),
                                             [(r, str(n)) for r, n in reasons])
            + "<p>first examples:</p>" + _table(("file", "line", "reason"), examples))


def _image(png: str, alt: str) -> str:
    return f"<img alt=\"{escape(alt)}\" src=\"data:image/png;base64,{png}\">"


def _table(columns: tuple[str, ...], rows: Iterable[tuple[str, ...]], *,
           show_header: bool = True) -> str:
    head = ("<tr>" + "".join(f"<th>{escape(c)}</th>" for c in columns) + "</tr>"
            if show_header else "")
    body = "".join("<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return f"<table>{head}{body}</table>"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"
