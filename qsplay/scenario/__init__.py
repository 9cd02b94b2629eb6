"""Scenario files: loading YAML into a Site with located errors, and the built-in scenarios."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import Problem, ScenarioError
from .loader import load_scenario, load_scenario_text, site_from_document

DEMO = "anonymous-hub.yaml"


def builtin_dir() -> Path:
    """The scenarios shipped with qsplay: packaged in a wheel, or the project's scenarios/ folder."""
    packaged = resources.files("qsplay").joinpath("_scenarios")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "scenarios"


def demo_path() -> Path:
    return builtin_dir() / DEMO


__all__ = ["Problem", "ScenarioError", "builtin_dir", "demo_path", "load_scenario", "load_scenario_text", "site_from_document"]
