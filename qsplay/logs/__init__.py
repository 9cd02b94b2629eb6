"""Qlik's own logs: read the Repository and Proxy audit-security logs and replay their denials on a site."""
from .formats import LogLine, parse_line, parse_timestamp
from .replay import ReplayResult, classify, replay

__all__ = ["LogLine", "ReplayResult", "classify", "parse_line", "parse_timestamp", "replay"]
