"""Resource filters: which resources a rule is evaluated for.

Syntax (QMC help, "Resource filter"): `type[*][_*][, type[*][_*], ...]`.
- `*` every resource; `App*` every type beginning with App (App, App.Object, ...);
- `App_*` apps only; `Stream_<guid>` that one stream; `TransientObject` that exact type.
Entries are comma-separated with stray spaces tolerated (real QRS exports have them). Matching
is case-insensitive; that Qlik ignores case in filters is UNCONFIRMED (community scripts write
`app_<guid>`), so a filter whose case differs from the type's is noted.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FilterEntry:
    text: str
    type_prefix: str | None = None  # App*  -> 'app'
    type_exact: str | None = None  # App_* -> 'app' ; TransientObject -> 'transientobject'
    resource_id: str | None = None  # Stream_<id> -> '<id>'
    everything: bool = False

    def matches(self, resource_type: str, resource_id: str) -> bool:
        t = resource_type.lower()
        if self.everything:
            return True
        if self.type_prefix is not None:  # QmcSection_License* names QMC sections by type_id prefix
            return t.startswith(self.type_prefix) or f"{t}_{resource_id.lower()}".startswith(self.type_prefix)
        if self.type_exact is not None and t != self.type_exact:
            return False
        if self.resource_id is not None:
            return resource_id.lower() == self.resource_id
        return True


@dataclass(frozen=True)
class ResourceFilter:
    text: str
    entries: tuple[FilterEntry, ...]

    def matches(self, resource_type: str, resource_id: str) -> bool:
        return any(e.matches(resource_type, resource_id) for e in self.entries)

    def may_select(self, resource_type: str) -> bool:
        """Whether some resource of this type could be selected (for indexing rules by type)."""
        t = resource_type.lower()
        return any(e.everything or (e.type_prefix is not None and (t.startswith(e.type_prefix)
                                                                     or e.type_prefix.startswith(t + "_")))
                   or e.type_exact in (None, t) for e in self.entries)

    def selects_every(self, resource_type: str) -> bool:
        """Whether every resource of this type is selected, whatever its id."""
        return any(e.resource_id is None and e.matches(resource_type, "") for e in self.entries)

    def matching_entry(self, resource_type: str, resource_id: str) -> FilterEntry | None:
        for e in self.entries:
            if e.matches(resource_type, resource_id):
                return e
        return None

    def types_named(self) -> set[str]:
        """Lower-case resource type names or prefixes the filter mentions ('*' for everything)."""
        out = set()
        for e in self.entries:
            out.add("*" if e.everything else (e.type_prefix + "*" if e.type_prefix is not None else e.type_exact))
        return out


class FilterError(ValueError):
    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset

    def __reduce__(self):
        return (type(self), (str(self), self.offset))


def parse_filter(text: str, empty_id: str = "nothing") -> ResourceFilter:
    """`empty_id` (semantics empty_id_filter): what `Stream_` (a type, no id) selects: nothing | every."""
    if text is None or not str(text).strip():
        raise FilterError("a resource filter is mandatory (e.g. Stream_*, App*, *)", 0)
    entries = []
    offset = 0
    for raw in str(text).split(","):
        entry = raw.strip()
        pos = offset + (len(raw) - len(raw.lstrip()))
        offset += len(raw) + 1
        if not entry:
            raise FilterError("empty entry in the resource filter (two commas in a row?)", pos)
        parsed = _parse_entry(entry, pos)
        if parsed.resource_id == "" and empty_id == "every":
            parsed = FilterEntry(entry, type_exact=parsed.type_exact)
        entries.append(parsed)
    return ResourceFilter(str(text), tuple(entries))


def _parse_entry(entry: str, pos: int) -> FilterEntry:
    if entry == "*":
        return FilterEntry(entry, everything=True)
    if " " in entry:
        raise FilterError(f"resource filter entry {entry!r} contains a space; separate entries with commas", pos)
    if entry.endswith("_*"):
        return FilterEntry(entry, type_exact=entry[:-2].lower())
    if entry.endswith("*"):
        return FilterEntry(entry, type_prefix=entry[:-1].lower())
    if "_" in entry:
        type_name, _, rid = entry.rpartition("_")
        # Stream_<guid>; QmcSection_Stream names a QMC section (type QmcSection, id = section name)
        return FilterEntry(entry, type_exact=type_name.lower(), resource_id=rid.lower())
    return FilterEntry(entry, type_exact=entry.lower())
