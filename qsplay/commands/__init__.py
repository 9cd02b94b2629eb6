"""Commands shared by the CLI, the shell and the kernel. Each module registers its own.

Modules here must import heavy libraries (networkx, graphviz, ipywidgets) inside the command
body, not at import time: the CLI imports every command to build its help.
"""
from __future__ import annotations

import importlib
import pkgutil

from .base import REGISTRY, Command, CommandError, Output, Session, command, run_command, run_line

_loaded = False


def load_all() -> dict[str, Command]:
    global _loaded
    if not _loaded:
        for info in pkgutil.iter_modules(__path__):
            if info.name != "base" and not info.name.startswith("_"):
                importlib.import_module(f"{__name__}.{info.name}")
        _loaded = True
    return REGISTRY


__all__ = ["REGISTRY", "Command", "CommandError", "Output", "Session", "command", "load_all", "run_command",
           "run_line"]
