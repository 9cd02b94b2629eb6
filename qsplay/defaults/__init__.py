"""Qlik's preinstalled security rules and built-in streams, shipped as data."""
from __future__ import annotations

import functools
from importlib import resources

from ruamel.yaml import YAML

EVERYONE_STREAM_ID = "aaec8d41-5201-43ab-809f-3063750dfafd"
MONITORING_STREAM_ID = "a70ca8a5-1d59-4cc9-b5fa-6e207978dcaf"

# "A Qlik Sense installation includes the streams Everyone and Monitoring apps" (help: Default
# configuration, Feb 2019); ids as the preinstalled rules' resource filters name them.
BUILTIN_STREAMS = (
    {"name": "Everyone", "id": EVERYONE_STREAM_ID},
    {"name": "Monitoring apps", "id": MONITORING_STREAM_ID},
)


@functools.lru_cache(maxsize=1)
def _document() -> dict:
    text = resources.files(__package__).joinpath("preinstalled_rules.yaml").read_text(encoding="utf-8")
    return YAML(typ="safe").load(text)


def preinstalled_rule_specs(release: str | None = None) -> list[dict]:
    """The preinstalled rules as plain dicts in the scenario format (plus type, seed_id, source) of a
    Qlik Sense release (default: the newest documented one; see releases.py)."""
    from .releases import DEFAULT_RELEASE, rule_specs_for
    doc = _document()
    base = [dict(spec, source=doc["source"]) for spec in doc["rules"]]
    return rule_specs_for(release or DEFAULT_RELEASE, base)
