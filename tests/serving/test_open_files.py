"""The open-files limit gunicorn lifts at start-up so a worker can hold MAX_CONNECTIONS sockets."""

from __future__ import annotations

import resource
from collections.abc import Iterator

import pytest

from serving.open_files import OpenFilesError, raise_open_files_limit


@pytest.fixture
def restored_limit() -> Iterator[tuple[int, int]]:
    """This process's limits, put back after the test."""
    limits = resource.getrlimit(resource.RLIMIT_NOFILE)
    yield limits
    resource.setrlimit(resource.RLIMIT_NOFILE, limits)


def test_the_soft_limit_is_lifted_but_never_lowered(restored_limit: tuple[int, int]) -> None:
    _, hard = restored_limit
    lower = 256
    resource.setrlimit(resource.RLIMIT_NOFILE, (lower, hard))
    assert raise_open_files_limit(lower + 100) == lower + 100
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == (lower + 100, hard)
    assert raise_open_files_limit(lower) == lower + 100  # already enough: unchanged


def test_a_hard_limit_below_the_need_is_a_clear_error(restored_limit: tuple[int, int]) -> None:
    _, hard = restored_limit
    if hard == resource.RLIM_INFINITY:
        pytest.skip("no hard limit on this machine")
    with pytest.raises(OpenFilesError, match=rf"hard limit is {hard}; lower MAX_CONNECTIONS"):
        raise_open_files_limit(hard + 1)
