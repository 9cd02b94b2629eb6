"""The command layer shared by the CLI, the shell and the kernel.

A command is defined once: its argparse flags and a function (Session, args) -> Output. The CLI
adds the SCENARIO argument(s) in front; the shell and the kernel run the same command against the
session's loaded site. Outputs are plain data that know how to show themselves as text, JSON and
HTML, so no front end has logic of its own.
"""
from __future__ import annotations

import argparse
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..model import Site
from ..scenario import ScenarioError, load_scenario


class CommandError(Exception):
    """Bad arguments or input for a command: shown as a message, never a traceback. Exit code 2."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Output:
    """What a command produced. Subclasses render richer forms; `data` is the JSON form."""
    text: str = ""
    data: Any = None
    exit_code: int = 0
    html: str | None = None
    svg: str | None = None
    prefer: str = "text"  # what a front end shows by default: text | json (e.g. --json was given)

    def render(self) -> str:
        """What the CLI, the shell and the kernel print: site data's control and bidi characters
        shown as \\uXXXX (qsplay/safe_text.py; in JSON that is the same string)."""
        from ..safe_text import escape_unsafe
        return escape_unsafe(self.to_json() + "\n" if self.prefer == "json" else self.to_text())

    def to_text(self) -> str:
        return self.text

    def to_json(self) -> str:
        return json.dumps(self.data, indent=2, ensure_ascii=False, default=str)

    def to_html(self) -> str:
        if self.html is not None:
            return self.html
        from ..safe_text import html_text
        return f"<pre>{html_text(self.to_text())}</pre>"

    def _repr_html_(self) -> str:  # Jupyter shows command outputs richly in any Python kernel
        return self.to_html()

    def __str__(self) -> str:
        return self.to_text()


class BackgroundLoad:
    """A site loading in a thread: fraction done, stage, and the error if it does not load."""

    def __init__(self, session: "Session", path: Path):
        import threading
        self.session, self.path = session, path
        self.fraction, self.stage, self.error = 0.0, "reading", None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="qsplay-load", daemon=True)

    @property
    def percent(self) -> int:
        return int(self.fraction * 100)

    def start(self) -> None:
        self.thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)

    def _progress(self, fraction: float, stage: str) -> None:
        self.fraction, self.stage = fraction, stage

    def _run(self) -> None:
        from ..scenario.progress import reporting
        try:
            with reporting(self._progress):
                self.session.load(self.path)
            self.fraction, self.stage = 1.0, "loaded"
        except ScenarioError as exc:
            self.error = exc
        except Exception as exc:  # never a traceback from a thread: the next command says what happened
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.done.set()


@dataclass
class Session:
    """A loaded site and what happened to it: the simulated state and what-if edits."""
    site: Site | None = None
    path: Path | None = None
    state: Any = None  # engine.SiteState
    engine: Any = None  # engine.Engine, rebuilt when the site changes
    original: Site | None = None  # as loaded or last saved: for diff and unsaved-edit checks
    undo_stack: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)  # front-end preferences (identity for `as`, proxy, ...)
    on_disk: str | None = None  # files.fingerprint of `path` as loaded or last saved
    loading: Any = None  # BackgroundLoad while a site loads in the background (shell, kernel)
    state_log: list = field(default_factory=list)  # what asking changed in the licence state, since load/reset
    _dirty_cache: list = field(default_factory=list, repr=False)

    def load(self, path: str | Path) -> Site:
        site = load_scenario(path)
        self.use(site, Path(path))
        return site

    def load_in_background(self, path: str | Path) -> "BackgroundLoad":
        """Start loading a (large) site in a thread; until it is in, commands that need the site say
        how far it has got, and the rest work. `self.loading` reports progress and any error."""
        self.loading = BackgroundLoad(self, Path(path))
        self.loading.start()
        return self.loading

    def use(self, site: Site, path: Path | None = None) -> None:
        from ..engine import engine_for
        self.site, self.path = site, path
        self.on_disk = site.extra.get("content_hash")
        # sites are never changed in place (what-if edits build new ones), so the loaded one is the original
        self.original = site
        self.undo_stack.clear()
        self.engine = engine_for(site)
        self.reset_state()

    def reset_state(self) -> None:
        """The licence state as the file describes it: the file's clock, allocations and no sessions."""
        self.state = self.engine.new_state()
        self.state_log = []

    def decide(self, request) -> tuple[Any, list[str]]:
        """Decide on the session's state, and say what the request changed in it (Qlik allocates
        licences, opens sessions and uses capacity minutes when a request is made)."""
        from ..engine.state import changes_since, mark
        before = mark(self.state)
        decision = self.engine.decide(request, self.state)
        changes = changes_since(before, self.state, {u.key: u.qualified for u in self.site.users})
        self.state_log.extend(changes)
        return decision, changes

    def replace_site(self, site: Site, remember: bool = True, description: str = "edit") -> None:
        """A what-if edit: keep the previous site for undo; the clock and usage carry on."""
        from ..engine import engine_for
        engine = engine_for(site)  # first: a Ctrl-C before the swap leaves the session as it was
        if remember and self.site is not None:
            self.undo_stack.append((self.site, description))
        self.site, self.engine = site, engine

    def edit(self, description: str, change: Callable[[Any], None]) -> Site:
        """Apply `change` to a copy of the scenario document and rebuild the site from it. A change
        that makes the scenario invalid is refused with the loader's located message."""
        from ..scenario import site_from_document
        from ..scenario.document import clone
        site = self.require_site()
        document = clone(site.extra["document"])
        change(document)
        try:
            new_site = site_from_document(document, site.source or "<edited>")
        except ScenarioError as exc:
            raise CommandError(f"the edit was not applied: {exc}")
        self.replace_site(new_site, description=description)
        return new_site

    def undo(self) -> str:
        if not self.undo_stack:
            raise CommandError("nothing to undo")
        site, description = self.undo_stack.pop()
        self.replace_site(site, remember=False)
        return description

    @property
    def dirty(self) -> bool:
        """Edits not yet saved."""
        if self.site is None or self.original is None or self.site is self.original:
            return False
        key = (id(self.site), id(self.original))
        if self._dirty_cache[:1] != [key]:  # edits that cancel out (disable, then enable) leave nothing unsaved
            from ..scenario.document import dump
            same = dump(self.site.extra["document"]) == dump(self.original.extra["document"])
            self._dirty_cache[:] = [key, not same]
        return self._dirty_cache[1]

    def mark_saved(self, path: Path, fingerprint: str | None = None) -> None:
        self.path = path
        self.on_disk = fingerprint
        self.original = self.site
        self.site.source = str(path)

    def require_site(self) -> Site:
        loading = self.loading
        if loading is not None and loading.error is not None:
            raise CommandError(f"the site did not load: {loading.error}")
        if loading is not None and not loading.done.is_set():
            raise CommandError(f"the site is still loading ({loading.percent}%, {loading.stage}); try again in a "
                               f"moment — help and commands that need no site work now")
        if self.site is None:
            raise CommandError("no scenario is loaded; use: load FILE")
        return self.site

    def require_windows(self, what: str) -> Site:
        """Commands built on the security-rule engine (audit, why-not, preview, lint, graph)."""
        site = self.require_site()
        if site.platform != "windows":
            raise CommandError(f"{what} works on Qlik Sense Enterprise on Windows scenarios; for Qlik Cloud "
                               f"({site.name}) use decide, can, why and check")
        return site


@dataclass
class Command:
    name: str
    summary: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Session, argparse.Namespace], Output]
    scenarios: str = "one"  # what the CLI puts in front: one | many | none
    examples: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    cli: bool = True  # offered as `qsplay NAME` too
    description: str = ""
    raw: bool = False  # receives the rest of the line unsplit as args.text (conditions keep their quotes)

    def parser(self, prog: str | None = None, with_scenario: bool = False, cli: bool = False) -> argparse.ArgumentParser:
        p = _Parser(prog=prog or self.name, description=self.description or self.summary, add_help=True,
                    formatter_class=argparse.RawDescriptionHelpFormatter, epilog=self.epilog(cli))
        if with_scenario and self.scenarios == "one":
            p.add_argument("scenario", help="scenario file (YAML)")
        elif with_scenario and self.scenarios == "many":
            p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario files (YAML)")
        self.configure(p)
        return p


    def epilog(self, cli: bool) -> str | None:
        """The examples as the front end runs them: shell lines, or for the CLI whole command lines on
        the demo scenario (runnable as printed from the repository root)."""
        if not self.examples:
            return None
        if not cli:
            return "examples:\n  " + "\n  ".join(self.examples)
        lines = [cli_example(self, example) for example in self.examples]
        where = "\n(from the repository root; scenarios/anonymous-hub.yaml is the demo site)" \
            if self.scenarios != "none" else ""
        return "examples:\n  " + "\n  ".join(lines) + where


CLI_DEMO = "scenarios/anonymous-hub.yaml"


def cli_example(cmd: "Command", example: str) -> str:
    """`audit --anonymous` (a shell line) as `qsplay audit scenarios/anonymous-hub.yaml --anonymous`."""
    words = [shlex.quote(word) for word in split_words(example)]  # a POSIX shell would eat CORP\\bob's backslash
    if cmd.scenarios != "none":
        words.insert(1, CLI_DEMO)
    return " ".join(["qsplay", *words])


class _Parser(argparse.ArgumentParser):
    """argparse that raises CommandError instead of exiting, so a bad line never ends a session."""

    def error(self, message):
        raise CommandError(f"{self.prog}: {message}\n{self.format_usage().strip()}")

    def print_help(self, file=None):
        raise _HelpShown(self.format_help(), 0)

    def exit(self, status=0, message=None):
        raise _HelpShown(message or "", status)


class _HelpShown(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


REGISTRY: dict[str, Command] = {}


def command(name: str, summary: str, scenarios: str = "one", examples: tuple[str, ...] = (),
            aliases: tuple[str, ...] = (), cli: bool = True, description: str = "", raw: bool = False):
    """Register a command: decorate `configure(parser)`; the returned object's `.runs` sets the body."""
    def register(run: Callable[[Session, argparse.Namespace], Output]):
        configure = getattr(run, "configure", lambda p: None)
        cmd = Command(name, summary, configure, _guarded(run), scenarios, examples, aliases, cli,
                      description, raw)
        REGISTRY[name] = cmd
        for alias in aliases:
            REGISTRY[alias] = cmd
        return run
    return register


def _guarded(run):
    """Every command: `matches` has one time budget for the whole command (rules/evaluator.py),
    and a file it cannot write or read (qsplay/files.py) is a command error, not a bug."""
    import functools
    from ..files import FileProblem
    from ..rules.evaluator import match_budget

    @functools.wraps(run)
    def guarded(session, args):
        try:
            with match_budget():
                return run(session, args)
        except FileProblem as exc:
            raise CommandError(str(exc)) from None
    return guarded


def arguments(configure: Callable[[argparse.ArgumentParser], None]):
    """Attach flags to a command function: @arguments(lambda p: ...) under @command(...)."""
    def wrap(run):
        run.configure = configure
        return run
    return wrap


def run_line(session: Session, line: str) -> Output:
    """Run one shell/kernel line: `decide --user X --resource Y --action read`."""
    from . import load_all
    load_all()
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return Output("")
    name, _, tail = stripped.partition(" ")
    name = name.lower()
    cmd = REGISTRY.get(name)
    if cmd is not None and cmd.raw:
        return cmd.run(session, argparse.Namespace(text=tail.strip()))
    words = split_words(stripped)
    rest = words[1:]
    if cmd is None:
        from ..explain.messages import looks_like_message
        if looks_like_message(stripped):  # a pasted Qlik message: explain it rather than refuse it
            return REGISTRY["explain-message"].run(session, argparse.Namespace(text=stripped))
        raise CommandError(f"unknown command '{name}'; {suggest_command(name)}")
    return run_command(session, cmd, rest)


QUESTIONS = {"what": "what a user may do: audit --user USER (e.g. audit --user CORP\\bob)",
             "who": "who may do what to a resource: audit --resource RESOURCE (e.g. audit --resource stream:Public)",
             "whynot": "why-not USER ACTION RESOURCE (e.g. why-not CORP\\bob read stream:Finance)"}


def suggest_command(word: str) -> str:
    """A hint naming documented commands only (those help lists)."""
    import difflib
    if word in QUESTIONS:
        return f"to ask {QUESTIONS[word]}"
    close = difflib.get_close_matches(word, sorted({c.name for c in REGISTRY.values()}), n=1)
    return f"did you mean '{close[0]}'? (help lists the commands)" if close else "help lists the commands"


def split_words(line: str) -> list[str]:
    """Shell-like words where a backslash is an ordinary character (CORP\\alice), and quotes group."""
    lexer = shlex.shlex(line, posix=True)
    lexer.whitespace_split = True
    lexer.escape = ""
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError as exc:
        raise CommandError(f"cannot split the line into words: {exc} (a quote is not closed?)")


def run_command(session: Session, cmd: Command, argv: list[str], with_scenario: bool = False,
                cli: bool = False) -> Output:
    prog = f"qsplay {cmd.name}" if cli else None
    try:
        args = cmd.parser(prog=prog, with_scenario=with_scenario, cli=cli).parse_args(argv)
    except _HelpShown as shown:
        return Output(str(shown) or cmd.parser(prog=prog, cli=cli).format_help())
    return cmd.run(session, args)


def load_for_cli(path: str, lenient: bool = False) -> Session:
    session = Session()
    try:
        session.use(load_scenario(path, lenient=lenient), Path(path))
    except ScenarioError as exc:
        raise CommandError(str(exc))
    return session
