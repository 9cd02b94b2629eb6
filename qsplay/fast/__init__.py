"""The fast evaluation path: compiled conditions, indexed rules, memoised HasPrivilege."""
from .engine import FastSecurity, fast_evaluator

__all__ = ["FastSecurity", "fast_evaluator"]
