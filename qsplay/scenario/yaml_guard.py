"""Reading scenario YAML safely: every refusal is a located Problem, nothing is ever constructed
from a tag, and nothing can make the reader or what follows it run away.

- Tags (`!!python/object/apply:...`, `!custom`) are refused: a scenario never needs one, ruamel's
  round-trip loader would keep them as inert data, and an unquoted condition beginning with `!`
  (`condition: !user.IsAnonymous()`) is silently read as a *tag* with an empty value — which would
  make the condition empty, hence true. Both get a message saying what to write instead.
- Aliases may be used, but what they expand to is bounded (a "billion laughs" file is refused at the
  alias that crosses the bound, before anything walks the expansion). Only what aliases add is
  counted: a large site written out in full (conditions with ` != ` or ` !x` make this pass run) is
  no bomb, however many values it has.
- Nesting is bounded (MAX_DEPTH), whether the reader itself runs out of stack or loads fine.
- Bidirectional-override characters (U+202A-U+202E, U+2066-U+2069) are refused: they make a name
  or a condition display differently from what it is ("Trojan Source").
- Numbers Python will not convert (over 4,300 digits) and any other reader failure become a
  Problem at the best position that can be found, never a traceback.
"""
from __future__ import annotations

import io
import re
import warnings

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (AliasEvent, CollectionEndEvent, CollectionStartEvent, MappingStartEvent,
                                ScalarEvent, SequenceStartEvent)

from ..safe_text import describe, first_unsafe
from .errors import Problem

MAX_DEPTH = 64  # levels of mappings and lists; scenarios use about five
MAX_EXPANSION = 200_000  # values a document may expand to through aliases
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_MAYBE_TAG_OR_ALIAS = re.compile(r"(?:^|[\s\[{,])[!&*]", re.M)
_LONG_NUMBER = re.compile(r"\d{4000,}")
_DEEP_INDENT = re.compile(r"^ {120,}\S", re.M)  # deep block nesting: measured by events first
_OPENERS = re.compile(r"(?:[\[{]\s*){%d}" % (MAX_DEPTH + 1))  # [[[[... : refused before the slow reader sees it


class YamlRefused(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def _problem(filename: str, text: str, line: int, col: int, message: str) -> Problem:
    lines = text.splitlines()
    src = lines[line - 1] if 0 < line <= len(lines) else ""
    return Problem(filename, line, col, "", message, src)


def _at_offset(filename: str, text: str, offset: int, message: str) -> Problem:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return _problem(filename, text, line, col, message)


def check_text(text: str, filename: str) -> None:
    """What is refused in the text itself, before any reader (round-trip or fast) sees it."""
    bidi = _BIDI.search(text)
    if bidi:
        raise YamlRefused(_at_offset(filename, text, bidi.start(),
                                     f"invisible bidirectional control character U+{ord(bidi.group()):04X}: it "
                                     f"makes text display differently from what it is, so scenarios may not "
                                     f"contain it"))
    deep = _OPENERS.search(text)
    if deep:
        raise YamlRefused(_at_offset(filename, text, deep.start(),
                                     f"nested too deeply: more than {MAX_DEPTH} levels of mappings and lists"))


def read_yaml(text: str, filename: str, loader: YAML):
    """The round-trip document, or YamlRefused with a located Problem."""
    check_text(text, filename)
    if _MAYBE_TAG_OR_ALIAS.search(text) or _DEEP_INDENT.search(text):
        _check_events(text, filename)  # tags, alias expansion and depth, before building anything
    try:
        with warnings.catch_warnings():  # ruamel warns on stderr about re-used anchors: not ours to print
            warnings.simplefilter("ignore")
            data = loader.load(io.StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlRefused(_problem(filename, text, line, col, f"not valid YAML: {exc.problem or exc}"))
    except YAMLError as exc:  # e.g. a control character the YAML reader refuses
        position = getattr(exc, "position", 0) or 0
        detail = getattr(exc, "reason", None) or str(exc).splitlines()[0]
        raise YamlRefused(_at_offset(filename, text, position, f"not valid YAML: {detail}"))
    except RecursionError:
        _check_events(text, filename)  # finds where it nests too deeply
        raise YamlRefused(_problem(filename, text, 1, 1, "nested too deeply to read"))
    except (TypeError, AttributeError, KeyError, IndexError) as exc:  # e.g. a mapping used as a key
        _check_events(text, filename)
        raise YamlRefused(_problem(filename, text, 1, 1, f"could not be read as YAML ({type(exc).__name__}: {exc})"))
    except ValueError as exc:
        long_number = _LONG_NUMBER.search(text)
        if long_number:
            raise YamlRefused(_at_offset(filename, text, long_number.start(),
                                         f"a number with {len(long_number.group())} digits is too long to read"))
        raise YamlRefused(_problem(filename, text, 1, 1, f"could not be read as YAML: {exc}"))
    _check_depth(data, filename, text)
    check_characters(data, filename, text)
    return data


def check_characters(data, filename: str, text: str) -> None:
    """The raw text was checked above; the same characters written as YAML escapes ("\\e",
    "\\u202e", "\\x9b") are refused here, at the value that holds them (qsplay/safe_text.py)."""
    if "\\" not in text:
        return  # no escapes: nothing the raw checks have not seen
    todo = [data]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            items = [(k, k, "key") for k in node] + [(k, v, "value") for k, v in node.items()]
        elif isinstance(node, list):
            items = [(i, v, "item") for i, v in enumerate(node)]
        else:
            continue
        for where, value, role in items:
            if isinstance(value, (dict, list)):
                todo.append(value)
                continue
            if not isinstance(value, str):
                continue
            bad = first_unsafe(value)
            if bad:
                line, col = _position(node, where, role)
                raise YamlRefused(_problem(filename, text, line, col,
                                           f"{describe(bad.group())} in a {'key' if role == 'key' else 'value'} "
                                           f"(written as an escape): it makes text act or display differently "
                                           f"from what it is, so scenarios may not contain it"))


def _position(node, where, role: str) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    try:
        if role == "item":
            line0, col0 = lc.item(where)
        elif role == "key":
            line0, col0 = lc.key(where)
        else:
            line0, col0 = lc.value(where)
        return line0 + 1, col0 + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        line = getattr(lc, "line", None)
        return ((line or 0) + 1, (getattr(lc, "col", None) or 0) + 1)


def _check_events(text: str, filename: str) -> None:
    """One pass over the parser's events (iterative: no recursion however deep the file)."""
    sizes: dict[str, int] = {}  # anchor -> how many values it stands for
    stack: list[list] = []  # open collections: [anchor, size so far]
    expanded = 0  # values added by aliases (the file's own values are bounded by its size)
    try:
        for event in _events(text):
            mark = event.start_mark
            where = (mark.line + 1, mark.column + 1)
            tag = getattr(event, "tag", None)
            if tag is not None and isinstance(event, (ScalarEvent, CollectionStartEvent)) and \
                    not (isinstance(event, ScalarEvent) and tag == "!" ):
                raise YamlRefused(_problem(filename, text, *where, _tag_message(str(tag), event)))
            if stack and stack[-1][2] == "key" and isinstance(event, CollectionStartEvent):
                raise YamlRefused(_problem(filename, text, *where, "a mapping or a list cannot be a key; "
                                                                   "keys are plain names such as users: or name:"))
            if isinstance(event, (MappingStartEvent, SequenceStartEvent)):
                stack.append([event.anchor, 1, "key" if isinstance(event, MappingStartEvent) else "item"])
                if len(stack) > MAX_DEPTH:
                    raise YamlRefused(_problem(filename, text, *where,
                                               f"nested too deeply: more than {MAX_DEPTH} levels of mappings "
                                               f"and lists"))
                continue
            if isinstance(event, CollectionEndEvent):
                anchor, size, _ = stack.pop()
                if anchor:
                    sizes[anchor] = size
                if stack:
                    stack[-1][1] += size
                    _next(stack[-1])
                continue
            if isinstance(event, AliasEvent):
                size = sizes.get(event.anchor, 1)
                expanded += size
            elif isinstance(event, ScalarEvent):
                size = 1
                if event.anchor:
                    sizes[event.anchor] = 1
            else:
                continue
            if stack:
                stack[-1][1] += size
                _next(stack[-1])
            if expanded > MAX_EXPANSION:
                raise YamlRefused(_problem(filename, text, *where,
                                           f"aliases expand this document to more than {MAX_EXPANSION:,} values "
                                           f"(an alias bomb?); write the values out or use fewer aliases"))
    except (MarkedYAMLError, YAMLError):
        return  # the loader reports the syntax error itself, with its position


def _next(frame: list) -> None:
    """In a mapping, keys and values take turns."""
    if frame[2] != "item":
        frame[2] = "value" if frame[2] == "key" else "key"


def _events(text: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield from YAML(typ="rt").parse(io.StringIO(text))


def _tag_message(tag: str, event) -> str:
    if tag.startswith("tag:yaml.org,2002:"):
        tag = "!!" + tag[len("tag:yaml.org,2002:"):]
    shown = tag if len(tag) <= 60 else tag[:57] + "..."
    if re.match(r"!(user|resource)\b", tag, re.I) or (tag.startswith("!") and "(" in tag):
        return (f"YAML reads '{shown}' as a tag, not as text: a condition that begins with ! must be quoted, "
                f"e.g. condition: \"{tag}{' ' + event.value if getattr(event, 'value', '') else ''}\"")
    return f"YAML tags such as '{shown}' are not allowed in a scenario (nothing is ever constructed from one)"


def _check_depth(data, filename: str, text: str) -> None:
    """Depth of what was loaded, walked without recursion (a loaded tree has no shared parts left
    unbounded: aliases were measured before loading)."""
    todo = [(data, 1)]
    seen: set[int] = set()
    while todo:
        node, depth = todo.pop()
        if isinstance(node, dict):
            children = list(node.values())
        elif isinstance(node, list):
            children = node
        else:
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if depth > MAX_DEPTH:
            lc = getattr(node, "lc", None)
            line, col = (lc.line + 1, lc.col + 1) if lc is not None and lc.line is not None else (1, 1)
            raise YamlRefused(_problem(filename, text, line, col,
                                       f"nested too deeply: more than {MAX_DEPTH} levels of mappings and lists"))
        todo.extend((child, depth + 1) for child in children)
