"""The syntax tree of a condition. Every node knows its span in the source text."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Node:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Or(Node):
    items: tuple


@dataclass(frozen=True, slots=True)
class And(Node):
    items: tuple


@dataclass(frozen=True, slots=True)
class Not(Node):
    item: Node


@dataclass(frozen=True, slots=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True, slots=True)
class Str(Node):
    value: str
    quoted: bool = True  # False: a bare word read as a string (UNCONFIRMED that Qlik accepts it)


@dataclass(frozen=True, slots=True)
class Path(Node):
    """user.group, resource.app.stream.@DevGroup, resource.owner ... segments keep their spelling."""
    root: str  # 'user', 'resource' or another word (kept, resolves to nothing)
    segments: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join((self.root, *self.segments))


@dataclass(frozen=True, slots=True)
class Call(Node):
    """target.Function(arg): HasPrivilege, IsAnonymous, Empty, IsOwned."""
    target: Path
    function: str  # canonical spelling, e.g. 'HasPrivilege'
    arg: str | None = None


@dataclass(frozen=True, slots=True)
class Compare(Node):
    left: Node  # Path or Str
    op: str  # = != == !== like matches
    right: Node


@dataclass(frozen=True)
class Note:
    """Something the reader should know about how a piece of text was read."""
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ParsedCondition:
    text: str
    root: Node | None  # None: empty condition, which is true
    notes: tuple[Note, ...] = field(default=())

    def span(self, node: Node) -> str:
        return self.text[node.start:node.end]


def walk(node):
    """Every node below and including `node`, depth first."""
    if node is None:
        return
    yield node
    if isinstance(node, (Or, And)):
        for item in node.items:
            yield from walk(item)
    elif isinstance(node, Not):
        yield from walk(node.item)
    elif isinstance(node, Compare):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, Call):
        yield from walk(node.target)
