"""How far a load has got, for a front end's progress bar (shell toolbar, kernel display): the
loader reports fractions; whoever started the load in its thread listens (thread-local, so two
loads in two threads never mix)."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable

_local = threading.local()


@contextmanager
def reporting(callback: Callable[[float, str], None]):
    previous = getattr(_local, "callback", None)
    _local.callback = callback
    try:
        yield
    finally:
        _local.callback = previous


def report(fraction: float, stage: str) -> None:
    callback = getattr(_local, "callback", None)
    if callback is not None:
        callback(min(1.0, max(0.0, fraction)), stage)
