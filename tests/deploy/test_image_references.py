"""No deploy path names an image by a moving tag: no `:latest`, no `:model-vN`, anywhere in
cloudbuild.yaml, deploy/, .github/ or the Makefile's deploy targets (what deploys takes digests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.deploy.conftest import REPO

# an image name or a variable holding one, then the tag: `app:latest`, `${IMAGE}:model-v$N`;
# or a model-version tag being composed: f"model-v{version}"
MOVING_TAG = re.compile(r"(?<=[\w}\]])(:latest\b|:model-v)|\bmodel-v[{$]")
TEXT_SUFFIXES = {".py", ".yaml", ".yml", ".json", ".md", ".txt", ".template", ".conf", ".sh",
                 ".cfg", ".toml", ".ini", ""}


def deploy_files() -> list[Path]:
    """cloudbuild.yaml and the text files under deploy/ and .github/."""
    found = [REPO / "cloudbuild.yaml"]
    for folder in ("deploy", ".github"):
        found += [path for path in sorted((REPO / folder).rglob("*"))
                  if path.is_file() and "__pycache__" not in path.parts
                  and (path.suffix in TEXT_SUFFIXES or path.name.startswith("Dockerfile"))]
    return found


def deploy_targets(makefile: str) -> dict[str, str]:
    """Each Makefile target whose name starts with `deploy`: its rule line and recipe."""
    targets: dict[str, str] = {}
    for match in re.finditer(r"^(deploy[\w-]*):.*\n((?:\t.*\n)*)", makefile, re.MULTILINE):
        targets[match.group(1)] = match.group(0)
    return targets


def moving_tags(text: str) -> list[str]:
    """`line: text` of every line naming an image by a moving tag."""
    return [f"{number}: {line.strip()}" for number, line in enumerate(text.splitlines(), 1)
            if MOVING_TAG.search(line)]


@pytest.mark.parametrize("path", deploy_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_deploy_file_names_an_image_by_a_moving_tag(path: Path) -> None:
    assert moving_tags(path.read_text(encoding="utf-8")) == []


def test_no_deploy_target_of_the_makefile_names_an_image_by_a_moving_tag() -> None:
    targets = deploy_targets((REPO / "Makefile").read_text(encoding="utf-8"))
    assert {"deploy", "deploy-batch", "deploy-telemetry"} <= set(targets)
    assert {name: moving_tags(recipe) for name, recipe in targets.items()
            if moving_tags(recipe)} == {}


def test_the_scan_would_catch_each_way_of_writing_a_moving_tag() -> None:
    for line in ("docker build -t $${IMAGE}:latest .", "image: gcr.io/p/app:latest",
                 "-t ${IMAGE}:model-v$${version}", "f\"{image}:model-v{version}\"",
                 "IMAGE=repo/app:latest", 'return f"model-v{version}"'):
        assert moving_tags(line) == [f"1: {line}"], line
    for line in ("never a tag such as `:latest`", "versions/latest", "model-version=7",
                 f"repo/app@sha256:{'0' * 64}", "-t ${IMAGE}:${GIT_SHA}"):
        assert moving_tags(line) == [], line
    assert "deploy" in deploy_targets("deploy: install ## x\n\t$(BIN)/python -m x\n\nother:\n")
