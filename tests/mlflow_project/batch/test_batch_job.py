"""The in-process job: same answers as the model, rejects with reasons, chunking, atomic output."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from mlflow_project.batch import job as job_module
from mlflow_project.batch.job import BatchRefused, BatchRequest, run_batch
from mlflow_project.data.contract import ContractError
from mlflow_project.data.io import DataSourceError
from tests.mlflow_project.batch.conftest import FAULTS, ROWS_WITHOUT_ID, RegisteredModel, files_in


def _run(model: RegisteredModel, source: Path, output: Path, **options: object
         ) -> job_module.BatchSummary:
    request = BatchRequest(input_uri=str(source), output_uri=str(output), **options)  # type: ignore[arg-type]
    return run_batch(request, model.resolved, model.model)


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype={"ticket_id": str, "model_version": str})
    return pd.read_parquet(path)


def test_scores_equal_the_models_in_process_answers(registered_model: RegisteredModel,
                                                    messy_csv: Path, messy_tickets: pd.DataFrame,
                                                    out_dir: Path) -> None:
    summary = _run(registered_model, messy_csv, out_dir / "predictions.parquet", chunk_size=64)
    output = _read(out_dir / "predictions.parquet")
    refused = {row for row, *_ in FAULTS}
    kept = messy_tickets.drop(index=[row - 1 for row in refused])
    fast = registered_model.model.unwrap_python_model()
    records = kept[["title", "description", "source", "customer_tier"]].to_dict("records")
    probabilities, labels = fast.predict_records(records)
    assert output["row_number"].tolist() == (kept.index + 1).tolist()
    np.testing.assert_allclose(output["urgency_probability"], probabilities, rtol=0, atol=1e-9)
    near_threshold = np.abs(probabilities - fast.threshold) < 1e-9
    assert (output["urgent"].to_numpy() == labels)[~near_threshold].all()
    assert set(output["model_version"]) == {"1"}
    assert (summary.model_uri, summary.model_loaded) == (
        "models:/ticket_urgency@production", "models:/ticket_urgency/1")
    assert (summary.rows_in, summary.scored, summary.rejected_rows) == (400, 395, 5)


def test_ticket_ids_pass_through_and_missing_ones_become_row_numbers(
        registered_model: RegisteredModel, messy_csv: Path, messy_tickets: pd.DataFrame,
        out_dir: Path) -> None:
    _run(registered_model, messy_csv, out_dir / "predictions.csv")
    output = _read(out_dir / "predictions.csv").set_index("row_number")
    for row in ROWS_WITHOUT_ID:
        assert output.loc[row, "ticket_id"] == str(row)
    assert output.loc[1, "ticket_id"] == messy_tickets.loc[0, "ticket_id"]
    no_ids = out_dir / "no_ids.csv"
    messy_tickets.drop(columns=["ticket_id"]).to_csv(no_ids, index=False)
    _run(registered_model, no_ids, out_dir / "by_row.parquet")
    by_row = _read(out_dir / "by_row.parquet")
    assert by_row["ticket_id"].tolist() == by_row["row_number"].astype(str).tolist()
    assert 333 in set(by_row["row_number"])  # its id repeated row 2's; without ids it is fine


def test_rejects_are_written_beside_the_output_with_row_column_rule_and_value(
        registered_model: RegisteredModel, messy_csv: Path, out_dir: Path) -> None:
    summary = _run(registered_model, messy_csv, out_dir / "predictions.parquet", chunk_size=100)
    rejects = pd.read_csv(out_dir / "predictions.rejects.csv", keep_default_na=False)
    assert list(rejects.columns) == ["row_number", "column", "rule", "value"]
    assert set(zip(rejects["row_number"], rejects["column"], rejects["rule"], strict=True)) == {
        (row, column, rule) for row, _, _, column, rule in FAULTS}
    values = dict(zip(rejects["row_number"], rejects["value"], strict=True))
    assert (values[4], values[98], values[333]) == ("fax", "gold", "SYN-000002")
    assert summary.reject_lines == len(rejects) == 5
    assert json.loads(summary.to_json())["rejects"] == str(out_dir / "predictions.rejects.csv")


def test_a_clean_file_still_gets_an_empty_rejects_file(registered_model: RegisteredModel,
                                                      messy_tickets: pd.DataFrame,
                                                      out_dir: Path) -> None:
    clean = out_dir / "clean.csv"
    messy_tickets.head(3).to_csv(clean, index=False)
    (out_dir / "p.rejects.csv").write_text("stale rejects of an earlier run\n")
    _run(registered_model, clean, out_dir / "p.parquet")
    assert pd.read_csv(out_dir / "p.rejects.csv").empty


@pytest.mark.parametrize("fixture", ["messy_csv", "messy_parquet"])
def test_many_chunks_give_the_same_output_as_one(registered_model: RegisteredModel,
                                                 request: pytest.FixtureRequest, fixture: str,
                                                 out_dir: Path) -> None:
    source = request.getfixturevalue(fixture)
    _run(registered_model, source, out_dir / "one.parquet", chunk_size=100_000)
    _run(registered_model, source, out_dir / "many.parquet", chunk_size=37)
    pd.testing.assert_frame_equal(_read(out_dir / "many.parquet"), _read(out_dir / "one.parquet"))
    assert ((out_dir / "many.rejects.csv").read_text()
            == (out_dir / "one.rejects.csv").read_text())
    assert pq.ParquetFile(out_dir / "many.parquet").metadata.num_row_groups == 11


def test_the_output_records_the_model_and_input_in_parquet_metadata(
        registered_model: RegisteredModel, messy_parquet: Path, out_dir: Path) -> None:
    _run(registered_model, messy_parquet, out_dir / "p.parquet")
    metadata = pq.read_schema(out_dir / "p.parquet").metadata[b"ticket_urgency.batch"]
    assert json.loads(metadata) == {
        "input": str(messy_parquet), "model_uri": "models:/ticket_urgency@production",
        "model_loaded": "models:/ticket_urgency/1", "model_name": "ticket_urgency",
        "model_version": "1"}


@pytest.mark.parametrize(("name", "content", "error", "message"), [
    ("empty.csv", b"", DataSourceError, "the file is empty"),
    ("blank.csv", b"\n\n  \n", DataSourceError, "the file is empty"),
    ("empty.parquet", b"", DataSourceError, "the file is empty"),
    ("header.csv", b"ticket_id,title,description,source,customer_tier\n", DataSourceError,
     "has a header but no rows"),
    ("wrong.csv", b"id,subject,body,channel\n1,a,b,email\n", ContractError,
     r"missing required column\(s\): title, description, source, customer_tier"),
    ("garbage.parquet", b"not parquet at all", DataSourceError, "cannot parse as PARQUET"),
    ("ragged.csv", b"title,description,source,customer_tier\na,b,email,premium,extra,x\n",
     DataSourceError, "cannot parse as CSV: Length of header"),
    ("ragged_later.csv", b"title,description,source,customer_tier\na,b,email,premium\n"
     b"a,b,email,premium,extra\n", DataSourceError, "Expected 4 fields in line 3, saw 5"),
])
def test_bad_input_gives_a_clear_error_and_writes_nothing(
        registered_model: RegisteredModel, out_dir: Path, name: str, content: bytes,
        error: type[Exception], message: str) -> None:
    source = out_dir / name
    source.write_bytes(content)
    with pytest.raises(error, match=message):
        _run(registered_model, source, out_dir / "p.parquet")
    assert files_in(out_dir) == {name}


def test_a_missing_input_file_is_named(registered_model: RegisteredModel, out_dir: Path) -> None:
    with pytest.raises(DataSourceError, match=r"absent\.csv: no such file"):
        _run(registered_model, out_dir / "absent.csv", out_dir / "p.parquet")
    assert files_in(out_dir) == set()


def test_a_crash_mid_way_leaves_the_previous_output_untouched(
        registered_model: RegisteredModel, messy_csv: Path, out_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    output = out_dir / "p.parquet"
    output.write_bytes(b"previous output")
    (out_dir / "p.rejects.csv").write_bytes(b"previous rejects")
    real_score = job_module.score
    calls = iter(range(100))

    def score_then_crash(model: object, tickets: pd.DataFrame) -> pd.DataFrame:
        if next(calls) == 2:
            raise MemoryError("killed mid-way")
        return real_score(model, tickets)  # type: ignore[arg-type]

    monkeypatch.setattr(job_module, "score", score_then_crash)
    with pytest.raises(MemoryError):
        _run(registered_model, messy_csv, output, chunk_size=50)
    assert output.read_bytes() == b"previous output"
    assert (out_dir / "p.rejects.csv").read_bytes() == b"previous rejects"
    assert files_in(out_dir) == {"p.parquet", "p.rejects.csv"}


def test_too_many_rejects_refuse_the_batch_but_keep_the_reasons(
        registered_model: RegisteredModel, messy_csv: Path, out_dir: Path) -> None:
    with pytest.raises(BatchRefused, match=r"5 of 400 rows \(1.2%\) break the contract, more "
                                           r"than the allowed 1.0%"):
        _run(registered_model, messy_csv, out_dir / "p.parquet", max_reject_share=0.01)
    assert files_in(out_dir) == {"p.rejects.csv"}
    assert len(pd.read_csv(out_dir / "p.rejects.csv")) == 5


@pytest.fixture
def gcs_bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An in-process GCS emulator with bucket `batch`; yields the bucket name."""
    import socket

    from gcp_storage_emulator.server import create_server

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket="batch")
    server.start()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
    try:
        yield "batch"
    finally:
        server.stop()


@pytest.mark.parametrize("fixture", ["messy_csv", "messy_parquet"])
def test_gcs_input_and_output_give_the_local_result(registered_model: RegisteredModel,
                                                   request: pytest.FixtureRequest, fixture: str,
                                                   out_dir: Path, gcs_bucket: str) -> None:
    from mlflow_project.data.io import read_bytes, write_bytes

    source = request.getfixturevalue(fixture)
    write_bytes(source.read_bytes(), f"gs://{gcs_bucket}/in/{source.name}")
    remote = BatchRequest(input_uri=f"gs://{gcs_bucket}/in/{source.name}",
                          output_uri=f"gs://{gcs_bucket}/out/p.csv", chunk_size=50)
    run_batch(remote, registered_model.resolved, registered_model.model)
    _run(registered_model, source, out_dir / "p.csv", chunk_size=50)
    assert read_bytes(f"gs://{gcs_bucket}/out/p.csv") == (out_dir / "p.csv").read_bytes()
    assert (read_bytes(f"gs://{gcs_bucket}/out/p.rejects.csv")
            == (out_dir / "p.rejects.csv").read_bytes())
    with pytest.raises(DataSourceError, match="no such object"):
        run_batch(BatchRequest(input_uri=f"gs://{gcs_bucket}/in/absent.csv",
                               output_uri=f"gs://{gcs_bucket}/out/x.csv"),
                  registered_model.resolved, registered_model.model)


def test_a_model_pinning_what_is_not_installed_still_scores_with_one_warning(
        registered_model: RegisteredModel, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    import mlflow.artifacts

    from demo.tickets import GeneratorConfig, generate_tickets
    from mlflow_project.batch.scoring import ResolvedModel, load_model, score

    folder = Path(mlflow.artifacts.download_artifacts(registered_model.resolved.uri,
                                                      dst_path=str(tmp_path)))
    requirements = folder / "requirements.txt"
    requirements.write_text(requirements.read_text().rstrip("\n") + "\nno-such-package-tu==1.0\n")
    with caplog.at_level(logging.WARNING, logger="mlflow_project.batch.scoring"):
        model = load_model(ResolvedModel(str(folder), str(folder), None, None))
    warnings = [r.getMessage() for r in caplog.records if r.name == "mlflow_project.batch.scoring"]
    assert warnings == ["the model's requirements are not met here: "
                        "no-such-package-tu==1.0 (not installed)"]
    tickets = generate_tickets(GeneratorConfig(rows=50, seed=3))
    pd.testing.assert_frame_equal(score(model, tickets), score(registered_model.model, tickets))
