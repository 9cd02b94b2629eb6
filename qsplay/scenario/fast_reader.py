"""The fast reader: a scenario document from libyaml's C parser events, for reading only (issue 21).

The round-trip reader (ruamel, `yaml_guard.read_yaml`) keeps comments and layout for saving edits,
and costs about 20-30x what this does (S site: 23 s against 0.7 s CPU). Reading for check/decide/audit/lint/graph/why-not and the
shell's start does not need that, so this builds plain mappings and lists that carry what the model
builder (`loader.Reader`) asks of a node: its position (`.lc.line/.col`, and `.lc.key()/.value()` for
flow mappings, whose split-text mending reports a line) and whether it was written in flow style
(`.fa.flow_style()`). The model is then built by the same `Reader.build` as on the editing path.

Anything this reader does not handle the way the round-trip reader does — tags, anchors and aliases,
merge keys, duplicate keys, a mapping or list as a key, deep nesting, a syntax error, YAML 1.1 line
breaks — raises `NotFast`, and the caller reads the file with the round-trip reader instead. So every value is read
as the round-trip reader reads it (numbers and dates other than plain whole numbers are made by
ruamel's own resolver and constructor), and every refusal is that reader's located message.
"""
from __future__ import annotations

import re

import yaml

from .yaml_guard import MAX_DEPTH

_NULLS = {"": None, "~": None, "null": None, "Null": None, "NULL": None}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_SPECIAL_FIRST = frozenset("-+0123456789.<=")  # what a YAML 1.2 implicit number/timestamp/merge starts with
_YAML11_BREAKS = re.compile("[\x85\u2028\u2029]")  # line breaks in libyaml (1.1), not in ruamel (1.2)


class NotFast(Exception):
    """This document needs the round-trip reader (which also gives the located message)."""


class _Position:
    __slots__ = ("line", "col", "_keys")

    def __init__(self, line: int, col: int, keys: dict | None = None):
        self.line, self.col, self._keys = line, col, keys

    def key(self, key):
        got = self._keys.get(key) if self._keys else None
        return (got[0], got[1]) if got else (self.line, self.col)

    def value(self, key):
        got = self._keys.get(key) if self._keys else None
        return (got[2], got[3]) if got else (self.line, self.col)


class _Flow:
    __slots__ = ("flow",)

    def __init__(self, flow: bool):
        self.flow = flow

    def flow_style(self) -> bool:
        return self.flow


_BLOCK, _FLOW = _Flow(False), _Flow(True)


class LocatedMap(dict):
    """A mapping read by the fast reader: its position and style, as the model builder reads them."""
    __slots__ = ("lc", "fa")


class LocatedList(list):
    __slots__ = ("lc",)


def can_read(text: str) -> bool:
    return not _YAML11_BREAKS.search(text)


def read_fast(text: str):
    """The document as LocatedMap/LocatedList/scalars, or NotFast."""
    if not can_read(text):
        raise NotFast("YAML 1.1 line breaks")
    try:
        return _build(yaml.parse(text, Loader=yaml.CSafeLoader), len(text))
    except NotFast:
        raise
    except Exception as exc:  # a syntax error, a character libyaml refuses, anything: the full reader says
        raise NotFast(str(exc)) from None


def _build(events, size: int = 0):
    from .progress import report
    E = yaml.events
    scalar_event, map_start, seq_start = E.ScalarEvent, E.MappingStartEvent, E.SequenceStartEvent
    map_end, seq_end, alias_event, doc_start = E.MappingEndEvent, E.SequenceEndEvent, E.AliasEvent, E.DocumentStartEvent
    stack: list = []  # frames: [container, is_mapping, key or _NO_KEY, key mark, flow key positions or None]
    root, documents = None, 0
    for n, event in enumerate(events):
        cls = event.__class__
        if not n & 0x3FFF and size:
            report(0.7 * event.start_mark.index / size, "reading")
        if cls is scalar_event:
            if event.anchor is not None or event.tag is not None:
                raise NotFast("anchor or tag")
            node = _plain(event.value) if not event.style else event.value
        elif cls is map_start or cls is seq_start:
            if event.anchor is not None or event.tag is not None or not event.implicit:
                raise NotFast("anchor or tag")
            if len(stack) >= MAX_DEPTH:
                raise NotFast("nested deeply")
            mark = event.start_mark
            if cls is map_start:
                node = LocatedMap()
                keys = {} if event.flow_style else None
                node.fa = _FLOW if event.flow_style else _BLOCK
                node.lc = _Position(mark.line, mark.column, keys)
            else:
                node, keys = LocatedList(), None
                node.lc = _Position(mark.line, mark.column)
            if stack:
                _attach(stack[-1], node, event)
            else:
                root = node
            stack.append([node, cls is map_start, _NO_KEY, None, keys])
            continue
        elif cls is map_end or cls is seq_end:
            stack.pop()
            continue
        elif cls is alias_event:
            raise NotFast("alias")
        elif cls is doc_start:
            documents += 1
            if documents > 1:
                raise NotFast("several documents")
            continue
        else:
            continue
        if stack:
            _attach(stack[-1], node, event)
        else:
            root = node
    return root


_NO_KEY = object()


def _attach(frame: list, node, event) -> None:
    container = frame[0]
    if not frame[1]:
        container.append(node)
        return
    key = frame[2]
    if key is _NO_KEY:  # this node is the key
        if isinstance(node, (dict, list)):
            raise NotFast("a collection as a key")
        if node in container:
            raise NotFast("duplicate key")
        frame[2], frame[3] = node, event.start_mark
        return
    container[key] = node
    if frame[4] is not None:
        km, vm = frame[3], event.start_mark
        frame[4][key] = (km.line, km.column, vm.line, vm.column)
    frame[2] = _NO_KEY


def _resolver():
    global _RESOLVER
    if _RESOLVER is None:
        from ruamel.yaml.resolver import VersionedResolver
        _RESOLVER = VersionedResolver()
    return _RESOLVER


def _constructor():
    global _CONSTRUCTOR
    if _CONSTRUCTOR is None:
        from ruamel.yaml import YAML
        from ruamel.yaml.constructor import RoundTripConstructor
        _CONSTRUCTOR = RoundTripConstructor(loader=YAML(typ="rt"))
    return _CONSTRUCTOR


_RESOLVER = _CONSTRUCTOR = None
_RUAMEL_MADE = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}


def _plain(value: str):
    """A plain scalar as the round-trip reader (YAML 1.2) resolves it."""
    if value in _NULLS:
        return None
    got = _BOOLS.get(value)
    if got is not None:
        return got
    if value[0] not in _SPECIAL_FIRST:
        return value
    if _DECIMAL.match(value):
        return int(value)
    from ruamel.yaml.nodes import ScalarNode
    tag = _resolver().resolve(ScalarNode, value, (True, False))
    name = str(tag)
    if name == "tag:yaml.org,2002:str":
        return value
    if name not in _RUAMEL_MADE:
        raise NotFast(f"a plain scalar read as {name}")  # a merge key: the round-trip reader handles it
    # a number or a date: made by the round-trip reader's own constructor, so the value is the same
    return _constructor().construct_object(ScalarNode(tag, value), deep=True)
