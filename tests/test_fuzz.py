"""The fuzz campaign's short run (CI runs it on every push) and its regression corpus.

`python -m tests.fuzz --minutes 30` is the long campaign (docs/hardening.md); each target there is
the same code as here: a generator of hostile inputs and an oracle that accepts only a result or
the project's own located error. Every crash or hang a campaign ever found is saved in
tests/fuzz/crashers/ and replayed below, so it stays fixed.
"""
import json
from pathlib import Path

import pytest

from tests.fuzz.__main__ import CRASHERS, fuzz
from tests.fuzz.targets import TARGETS

SHORT_RUN = {"parser": 3000, "loader": 150, "qrs": 300, "commands": 150}


@pytest.mark.parametrize("target", sorted(SHORT_RUN))
def test_short_fuzz_run(target):
    result = fuzz(target, seed=20261124, inputs=SHORT_RUN[target], seconds=None, save=False)
    assert result["inputs"] == SHORT_RUN[target]
    assert not result["failures"], "\n".join(f"{f['kind']}: {f['summary']}\n  input: {f['input'][:300]!r}"
                                             for f in result["failures"][:5])


def crashers():
    return sorted(CRASHERS.glob("*.json")) if CRASHERS.is_dir() else []


@pytest.mark.parametrize("path", crashers(), ids=lambda p: p.name)
def test_every_input_a_campaign_found_stays_fixed(path: Path):
    case = json.loads(path.read_text(encoding="utf-8"))
    TARGETS[case["target"]]().run(case["input"])  # raises if it still crashes
