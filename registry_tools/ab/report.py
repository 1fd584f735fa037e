"""Text and JSON renderings of `ab status` (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from contracts.traffic import Snapshot, format_routes
from registry_tools.ab.analysis import Interval, VariantFigures

COLUMNS = ("role", "version", "requests", "predictions", "share", "urgent rate [95% CI]",
           "labelled", "recall [95% CI]", "precision [95% CI]", "p50 ms", "p99 ms")

def traffic_lines(snapshot: Snapshot, urls: Mapping[str, str]) -> list[str]:
    """One line per route (revision, version, percent, tag, URL) and the service URL."""
    lines = [f"service URL: {urls['service']}"] if "service" in urls else []
    if not snapshot.routes:
        return [*lines, "traffic: none (nothing deployed yet)"]
    lines.append("traffic:")
    for route in snapshot.routes:
        url = urls.get(route.tag or "", "")
        lines.append(f"  {format_routes([route], snapshot)}" + (f"  {url}" if url else ""))
    return lines


def figures_table(rows: Sequence[VariantFigures]) -> str:
    """Fixed-width table of per-variant figures: the objective (recall and precision at the
    threshold, on labelled tickets) beside urgent rate, counts and latency; accuracy and the
    mean score are in `--json`."""
    cells = [[f.role, f.model_version, str(f.requests), str(f.predictions), f"{f.share:.1%}",
              _with_interval(f.urgent_rate, f.urgent_rate_ci), str(f.labelled),
              _with_interval(f.recall, f.recall_ci),
              _with_interval(f.precision, f.precision_ci),
              f"{f.latency_p50_ms:.1f}", f"{f.latency_p99_ms:.1f}"] for f in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


def status_document(*, target: str, snapshot: Snapshot, urls: Mapping[str, str],
                    registry: Mapping[str, Any], analysis: Mapping[str, Any] | None,
                    rows: Sequence[VariantFigures]) -> dict[str, Any]:
    """Everything `ab status --json` prints."""
    return {
        "target": target,
        "service": snapshot.service,
        "urls": dict(urls),
        "traffic": [{"revision": r.revision, "model_version": snapshot.version_of(r.revision),
                     "percent": r.percent, "tag": r.tag} for r in snapshot.routes],
        "revisions": [asdict(r) for r in snapshot.revisions],
        "registry": dict(registry),
        "analysis": dict(analysis) if analysis is not None else None,
        "variants": [asdict(f) for f in rows],
    }


def _with_interval(value: float | None, interval: Interval | None) -> str:
    """`0.812 [0.701, 0.889]`, or `-` when nothing was counted."""
    if value is None or interval is None:
        return "-"
    return f"{value:.3f} [{interval.low:.3f}, {interval.high:.3f}]"
