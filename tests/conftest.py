import os
import tempfile
import textwrap
from pathlib import Path

import pytest

from qsplay.engine import engine_for, make_request
from qsplay.scenario import load_scenario_text

ROOT = Path(__file__).resolve().parents[1]
# compiled sites (qsplay/scenario/cache.py) go to a private folder for the run, never to ~/.cache
os.environ.setdefault("QSPLAY_CACHE_DIR", tempfile.mkdtemp(prefix="qsplay-test-cache-"))
SHARED = ROOT.parent / "shared"


def site_from(yaml_text: str, filename: str = "test.yaml"):
    return load_scenario_text(textwrap.dedent(yaml_text), filename)


def decide(site, resource, action="read", user=None, proxy="", context="hub", **kw):
    engine = engine_for(site)
    return engine.decide(make_request(resource, action, user, proxy, context, **kw), engine.new_state())


@pytest.fixture
def demo_site():
    from qsplay.scenario import demo_path, load_scenario
    return load_scenario(demo_path())
