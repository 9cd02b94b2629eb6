"""Edits to a scenario's round-trip YAML document, and saving it with comments and key order kept.

What-if edits (shell, kernel, why-not --apply, preview) change the document and rebuild the Site
from it, so what the engine sees and what `save` writes are always the same thing.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

SECTION_OF_KIND = {"stream": "streams", "app": "apps", "object": "objects", "data_connection": "data_connections",
                   "extension": "extensions", "content_library": "content_libraries", "reload_task": "reload_tasks"}


def yaml_rt() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the user's long conditions
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def dump(document) -> str:
    buf = io.StringIO()
    yaml_rt().dump(document, buf)
    return buf.getvalue()


def clone(document):
    """A copy for undo or what-if; comments, order, quoting and timestamps come along. (Through
    text: ruamel's objects lose a timestamp's 'Z' under copy.deepcopy.)"""
    if document is None:
        return None
    return yaml_rt().load(dump(document))


def save_atomically(document, path: str | Path) -> Path:
    """Write the document through the one atomic writer (qsplay/files.py): old file or new, never
    partial; symlinks followed; mode and owner kept."""
    from ..files import write_atomically
    return write_atomically(path, dump(document))


def section(document, name: str) -> CommentedSeq:
    """The list under a top-level key, created (at the end) when missing."""
    seq = document.get(name)
    if seq is None:
        seq = CommentedSeq()
        document[name] = seq
    return seq


def find_named(document, section_name: str, name: str, key: str = "name") -> CommentedMap | None:
    for item in document.get(section_name) or []:
        if isinstance(item, dict) and str(item.get(key, "")).casefold() == name.casefold():
            return item
    return None


def find_user(document, qualified: str) -> CommentedMap | None:
    directory, _, uid = qualified.replace("/", "\\").partition("\\")
    for item in document.get("users") or []:
        if isinstance(item, dict) and str(item.get("directory", "")).casefold() == directory.casefold() \
                and str(item.get("id", "")).casefold() == uid.casefold():
            return item
    return None


def entry(values: dict[str, Any], flow: bool = False) -> CommentedMap:
    m = CommentedMap()
    for k, v in values.items():
        m[k] = flow_list(v) if isinstance(v, list) else v
    if flow:
        m.fa.set_flow_style()
    return m


def flow_list(values) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def set_value(item: CommentedMap, key: str, value) -> None:
    item[key] = flow_list(value) if isinstance(value, list) else value


def rule_entry(document, name: str) -> CommentedMap:
    """The security_rules entry for a rule; for a preinstalled rule not yet in the file, a new
    override entry (`- name: Stream` + the keys to change)."""
    item = find_named(document, "security_rules", name)
    if item is None:
        item = entry({"name": name})
        section(document, "security_rules").append(item)
    return item
