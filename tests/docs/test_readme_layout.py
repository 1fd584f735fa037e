"""The README's layout table matches the tree: every path it names exists, and every top-level
folder and every subpackage of the product packages has a row, so a newcomer finds each piece."""

from __future__ import annotations

import re
import subprocess

from tests.support import REPO

PACKAGES = ("mlflow_project", "registry_tools", "deploy", "contracts", "serving", "demo")


def layout_rows() -> list[str]:
    """The first cell of every row of the table under `## Layout`."""
    section = (REPO / "README.md").read_text().split("## Layout\n", 1)[1].split("\n## ", 1)[0]
    return [line.split("|")[1] for line in section.splitlines()
            if line.startswith("| `")]


def named_paths() -> set[str]:
    """Every path named in the table's first column, without a trailing slash."""
    return {path.rstrip("/") for row in layout_rows() for path in re.findall(r"`([^`]+)`", row)}


def tracked_top_level() -> set[str]:
    """The top-level folders git tracks, apart from hidden ones other than `.github`."""
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    return {f.split("/")[0] for f in files if "/" in f
            and (not f.startswith(".") or f.startswith(".github/"))} - {".github"}


def subpackages(package: str) -> set[str]:
    """`package/sub` for every folder of `package` holding an `__init__.py`."""
    return {f"{package}/{init.parent.name}" for init in (REPO / package).glob("*/__init__.py")}


def test_every_path_in_the_layout_table_exists() -> None:
    paths = named_paths()
    assert len(paths) >= 20
    missing = sorted(p for p in paths if "<" not in p and not (REPO / p).exists())
    assert missing == []


def test_every_top_level_folder_has_a_row() -> None:
    covered = {path.split("/")[0] for path in named_paths()}
    assert tracked_top_level() - covered == set()


def test_every_subpackage_of_the_platform_is_named_or_covered_by_its_package() -> None:
    paths = named_paths()
    for package in PACKAGES:
        subs = subpackages(package)
        named = {sub for sub in subs if sub in paths}
        assert package in paths or named == subs, (package, sorted(subs - named))
