"""The README's A/B section documents every `make ab-*` target the Makefile defines."""

from __future__ import annotations

import re

from tests.support import REPO


def test_every_ab_target_is_documented_in_the_ab_section() -> None:
    targets = set(re.findall(r"^(ab-[a-z-]+):", (REPO / "Makefile").read_text(), re.MULTILINE))
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Deploy and A/B test", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`make (ab-[a-z-]+)", section))
    assert len(targets) >= 7
    assert targets == documented
