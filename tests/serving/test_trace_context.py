"""Reading a request's trace from its headers: both header forms, checked strictly."""

from __future__ import annotations

import pytest

from serving.trace_context import (
    TraceContext,
    incoming_trace,
    parse_cloud_trace,
    parse_traceparent,
    trace_log_fields,
)

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


def test_a_w3c_traceparent_gives_its_trace_span_and_sampled_flag() -> None:
    assert parse_traceparent(f"00-{TRACE}-{SPAN}-01") == TraceContext(TRACE, SPAN, True)
    assert parse_traceparent(f"00-{TRACE}-{SPAN}-00") == TraceContext(TRACE, SPAN, False)
    assert parse_traceparent(f"00-{TRACE}-{SPAN}-03") == TraceContext(TRACE, SPAN, True)


def test_a_cloud_trace_header_gives_its_trace_and_its_decimal_span_as_16_hex_digits() -> None:
    assert parse_cloud_trace(f"{TRACE}/1;o=1") == TraceContext(TRACE, "0000000000000001", True)
    assert parse_cloud_trace(f"{TRACE}/18446744073709551615;o=0") == TraceContext(
        TRACE, "ffffffffffffffff", False)
    assert parse_cloud_trace(f"{TRACE.upper()}/255") == TraceContext(TRACE, "00000000000000ff",
                                                                     False)


@pytest.mark.parametrize("value", [
    "", "garbage", f"01-{TRACE}-{SPAN}-01", f"ff-{TRACE}-{SPAN}-01", f"00-{TRACE}-{SPAN}-01-x",
    f"00-{TRACE[:-1]}-{SPAN}-01", f"00-{TRACE}0-{SPAN}-01", f"00-{TRACE}-{SPAN[:-1]}-01",
    f"00-{TRACE.upper()}-{SPAN}-01", f"00-{'0' * 32}-{SPAN}-01", f"00-{TRACE}-{'0' * 16}-01",
    f"00-{TRACE[:-1]}g-{SPAN}-01", f"00-{TRACE}-{SPAN}-1", f"00_{TRACE}_{SPAN}_01",
    f"00-{TRACE}-{SPAN}-01\n<script>",
])
def test_a_malformed_traceparent_is_ignored(value: str) -> None:
    assert parse_traceparent(value) is None


@pytest.mark.parametrize("value", [
    "", TRACE, f"{TRACE}/", f"{TRACE[:-1]}/1;o=1", f"{TRACE}0/1;o=1", f"{TRACE[:-1]}z/1;o=1",
    f"{'0' * 32}/1;o=1", f"{TRACE}/0;o=1", f"{TRACE}/18446744073709551616;o=1",
    f"{TRACE}/-1;o=1", f"{TRACE}/0x1f;o=1", f"{TRACE}/1;o=2", f"{TRACE}/1;o=1;x",
    f"projects/p/traces/{TRACE}/1",
])
def test_a_malformed_cloud_trace_header_is_ignored(value: str) -> None:
    assert parse_cloud_trace(value) is None


def test_traceparent_is_read_first_and_a_bad_one_falls_back_to_the_cloud_header() -> None:
    other = "0af7651916cd43dd8448eb211c80319c"
    both = {"traceparent": f"00-{TRACE}-{SPAN}-01", "X-Cloud-Trace-Context": f"{other}/7;o=1"}
    assert incoming_trace(both) == TraceContext(TRACE, SPAN, True)
    assert incoming_trace({**both, "traceparent": "00-bad"}) == TraceContext(
        other, "0000000000000007", True)
    assert incoming_trace({}) is None


def test_the_log_fields_name_the_trace_in_the_project_and_need_one() -> None:
    headers = {"traceparent": f"00-{TRACE}-{SPAN}-01"}
    assert trace_log_fields(headers, "tu-prod") == {
        "logging.googleapis.com/trace": f"projects/tu-prod/traces/{TRACE}",
        "logging.googleapis.com/spanId": SPAN,
        "logging.googleapis.com/trace_sampled": True}
    assert trace_log_fields(headers, None) == {}
    assert trace_log_fields({"traceparent": "nonsense"}, "tu-prod") == {}
