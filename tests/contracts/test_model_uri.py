"""Registry model URIs: one parser, one way to write them, one default."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.model_uri import (
    CHALLENGER,
    PRODUCTION,
    RegistryReference,
    alias_uri,
    default_model_uri,
    is_registry_uri,
    parse_model_uri,
    version_uri,
)
from contracts.settings import SettingsError

REPO = Path(__file__).resolve().parents[2]
PRODUCT = ("mlflow_project", "serving", "registry_tools", "deploy", "contracts", "demo",
           "airflow")


@pytest.mark.parametrize("uri", ["models:/ticket_urgency@production", "models:/m@challenger",
                                 "models:/ticket_urgency/3", "models:/a.b-c_d/12"])
def test_a_registry_uri_round_trips(uri: str) -> None:
    reference = parse_model_uri(uri)
    assert reference is not None
    assert reference.uri == uri


def test_parsed_parts_and_written_forms() -> None:
    assert parse_model_uri(alias_uri("m", CHALLENGER)) == RegistryReference("m", alias=CHALLENGER)
    assert parse_model_uri(version_uri("m", 7)) == RegistryReference("m", version="7")
    assert version_uri("m", "7") == "models:/m/7"


@pytest.mark.parametrize("uri", ["models:/", "models:/m", "models:/m@", "models:/@production",
                                 "models:/m/", "models:/m/latest", "models:/m/1/2",
                                 "models:/m@a/b", "models:/m@a@b", "runs:/abc/model",
                                 "serving/model", ""])
def test_a_malformed_or_foreign_uri_is_not_a_registry_reference(uri: str) -> None:
    assert parse_model_uri(uri) is None


def test_the_scheme_alone_marks_a_registry_uri() -> None:
    assert is_registry_uri("models:/m/latest")
    assert not is_registry_uri("runs:/abc/model")


def test_the_default_is_production_of_tu_model_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TU_MODEL_NAME", raising=False)
    assert default_model_uri() == f"models:/ticket_urgency@{PRODUCTION}"
    monkeypatch.setenv("TU_MODEL_NAME", "")
    assert default_model_uri() == "models:/ticket_urgency@production"
    monkeypatch.setenv("TU_MODEL_NAME", "other_model")
    assert default_model_uri() == "models:/other_model@production"


def test_a_model_name_that_cannot_form_a_uri_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TU_MODEL_NAME", "a/b")
    with pytest.raises(SettingsError, match=r"TU_MODEL_NAME='a/b': String should match"):
        default_model_uri()


def _product_files() -> list[Path]:
    files = [path for package in PRODUCT for path in (REPO / package).rglob("*.py")]
    return [*files, REPO / "Makefile", REPO / "mlflow_project" / "MLproject"]


def test_the_default_model_uri_is_written_only_in_contracts() -> None:
    offenders = [str(path.relative_to(REPO)) for path in _product_files()
                 if "models:/ticket_urgency" in path.read_text(encoding="utf-8")
                 and path.relative_to(REPO).parts[0] != "contracts"]
    assert offenders == []
