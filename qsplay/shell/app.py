"""The interactive shell: prompt-toolkit over the shared command layer.

Completion, highlighting, history across sessions, auto-suggest, a bottom toolbar (site,
identity, clock, unsaved edits) and conditions that continue over several lines. Nothing here
decides anything: every line goes to `run_line`.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.formatted_text import HTML
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.styles import Style, merge_styles, style_from_pygments_cls
from pygments.styles import get_style_by_name

from ..commands import CommandError, Session, run_line
from ..commands.completion import completions
from ..render.highlight import CommandLexer
from ..safe_text import escape_unsafe
from ..scenario import ScenarioError, demo_path

CONTINUATION_ENDINGS = ("and", "or", "(", "\\")
STYLE = Style.from_dict({
    "bottom-toolbar": "bg:#1f2d3a #d8dee9",
    "bottom-toolbar.key": "bg:#1f2d3a #88c0d0 bold",
    "bottom-toolbar.dirty": "bg:#1f2d3a #ebcb8b bold",
    "prompt": "#88c0d0 bold",
})


class ShellCompleter(Completer):
    def __init__(self, session: Session):
        self.session = session

    def get_completions(self, document, complete_event):
        for item in completions(self.session, document.text_before_cursor):
            yield Completion(item.text, start_position=item.start, display=item.display or item.text,
                             display_meta=item.meta)


def history_path() -> Path:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "qsplay" / "history"


def needs_more(text: str) -> bool:
    """A line ending in and / or / ( / backslash, or with an open quote or parenthesis, continues."""
    return continues(text, text.count("'"), text.count("("), text.count(")"))


def continues(last_line: str, quotes: int, opens: int, closes: int) -> bool:
    """needs_more for text whose last non-blank line and counts of ' ( ) are known, so a cell of
    thousands of continued lines is read in linear time (the kernel counts as it goes)."""
    stripped = last_line.rstrip()
    if not stripped:
        return False
    words = stripped.rsplit(None, 1)
    if stripped.endswith(("(", "\\")) or words[-1].lower() in ("and", "or"):
        return True
    return quotes % 2 == 1 or opens > closes


def key_bindings() -> KeyBindings:
    kb = KeyBindings()

    @kb.add("enter")
    def _(event):
        buf = event.current_buffer
        if buf.complete_state and buf.complete_state.current_completion:
            buf.apply_completion(buf.complete_state.current_completion)
            return
        if needs_more(buf.text):
            buf.insert_text("\n")
        else:
            buf.validate_and_handle()
    return kb


def toolbar(session: Session):
    def render():
        site = session.site
        loading = session.loading
        if loading is not None and not loading.done.is_set():
            filled = int(loading.fraction * 20)
            return HTML(f"<key>loading</key> {_esc(str(loading.path))} [{'#' * filled}{'.' * (20 - filled)}] "
                        f"{loading.percent}%  <key>help</key> works now  <key>Ctrl-D</key> quit")
        who = session.settings.get("user")
        via = session.settings.get("proxy")
        clock = session.state.now.strftime("%Y-%m-%d %H:%M UTC") if session.state else ""
        parts = [f"<key>site</key> {_esc(site.name if site else '(none)')}"]
        if who:
            parts.append(f"<key>as</key> {_esc(who)}{' via /' + _esc(via) if via else ''}")
        parts.append(f"<key>clock</key> {clock}")
        if session.dirty:
            parts.append("<dirty>edited, not saved</dirty>")
        parts.append("<key>help</key> commands  <key>Tab</key> complete  <key>Ctrl-D</key> quit")
        return HTML("  ".join(parts))
    return render


def _esc(text: str) -> str:
    from ..safe_text import html_text, one_line
    return html_text(one_line(text))


def make_prompt(session: Session, input=None, output=None, history=None) -> PromptSession:
    style = merge_styles([style_from_pygments_cls(get_style_by_name("native")), STYLE])
    return PromptSession(
        message=[("class:prompt", "qsplay> ")],
        multiline=True,
        prompt_continuation=lambda width, line, soft: "." * (width - 1) + " ",
        key_bindings=key_bindings(),
        completer=ShellCompleter(session),
        complete_while_typing=False,
        lexer=PygmentsLexer(CommandLexer),
        history=history if history is not None else _history(),
        auto_suggest=AutoSuggestFromHistory(),
        bottom_toolbar=toolbar(session),
        refresh_interval=0.5,  # the toolbar's progress bar moves while a site loads
        style=style,
        input=input,
        output=output,
    )


def _history():
    path = history_path()
    try:
        private_history_file(path)
        return FileHistory(str(path))
    except OSError:
        return InMemoryHistory()


def private_history_file(path: Path) -> None:
    """What was typed is the user's alone: the folder 0700 and the file 0600, also when an older
    qsplay made them world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    os.close(os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)


def execute(session: Session, line: str, write) -> None:
    """Run one line and print its output; any failure is a message and the session goes on."""
    raw_write = write

    def write(text: str) -> None:  # names and file names from site data: no terminal escapes
        raw_write(escape_unsafe(text))
    text = " ".join(part.rstrip("\\") for part in line.splitlines())
    try:
        output = run_line(session, text)
    except CommandError as exc:
        write(f"{exc}\n")
        return
    except ScenarioError as exc:
        write(f"{exc}\n")
        return
    except KeyboardInterrupt:  # Ctrl-C during a long audit: back to the prompt, nothing half-applied
        write("interrupted (Ctrl-C); the site is as it was before this line, the session goes on\n")
        return
    except Exception as exc:  # never let one line end the session
        write(f"internal error ({type(exc).__name__}): {exc}\nthe session goes on; please report this\n")
        return
    try:
        write(output.render())
    except KeyboardInterrupt:
        write("\ninterrupted (Ctrl-C) while printing; the session goes on\n")


def run_script(session: Session, lines, out=sys.stdout, err=sys.stderr) -> int:
    """Input that is not a terminal (`printf 'licence\\n' | qsplay`): each line is a command, run in
    order with no prompt; a failing line is reported with its number on stderr and the script goes on.
    Exit: the highest exit code met (0 all ran, 1 an expect or check did not hold, 2 a bad line)."""
    worst, pending, start = 0, "", 0
    for number, raw in enumerate(lines, 1):
        if not pending:
            start = number
        pending += raw.rstrip("\r\n")
        if needs_more(pending):
            pending += "\n"
            continue
        line, pending = pending, ""
        if line.strip() in ("quit", "exit"):
            break
        text = " ".join(part.rstrip("\\") for part in line.splitlines())
        try:
            output = run_line(session, text)
        except (CommandError, ScenarioError) as exc:
            err.write(f"line {start}: {exc}\n")
            worst = max(worst, getattr(exc, "exit_code", 2))
            continue
        except Exception as exc:  # a bug ends in a message; the script goes on
            err.write(f"line {start}: internal error ({type(exc).__name__}): {exc}\n")
            worst = 2
            continue
        out.write(output.render())
        worst = max(worst, output.exit_code)
    out.flush()
    return worst


BACKGROUND_BYTES = 1_000_000  # sites from this size load in the background, with progress in the toolbar


def run_shell(path: str | None = None, input=None, output=None, history=None) -> int:
    session = Session()
    interactive = input is not None or sys.stdin.isatty()
    try:
        if path and interactive and _size(path) >= BACKGROUND_BYTES:
            session.load_in_background(path)  # the prompt is usable at once
        else:
            session.load(path if path else demo_path())
    except ScenarioError as exc:
        print(escape_unsafe(str(exc)), file=sys.stderr)
        return 2
    if not interactive:
        return run_script(session, sys.stdin)
    prompt = make_prompt(session, input=input, output=output, history=history)

    def write(text: str) -> None:
        text = escape_unsafe(text)  # names and file names from site data: no terminal escapes
        if output is not None:
            output.write_raw(text.replace("\n", "\r\n"))
            output.flush()
        else:
            sys.stdout.write(text)
            sys.stdout.flush()

    site = session.site
    if site is None and session.loading is not None:
        write(f"qsplay: loading {path} in the background (progress in the bottom bar); help works now, "
              f"commands that need the site say how far it has got\n")
    else:
        _banner(site, write)
    while True:
        try:
            line = prompt.prompt()
        except KeyboardInterrupt:
            continue  # Ctrl-C cancels the line
        except EOFError:
            if session.dirty and not _confirm_quit(prompt):
                continue
            return 0
        if line.strip() in ("quit", "exit"):
            if session.dirty and not _confirm_quit(prompt):
                continue
            return 0
        execute(session, line, write)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0  # the loader says what is wrong with it


def _banner(site, write) -> None:
    write(f"qsplay: {site.name} ({len(site.users)} users, {len(site.streams)} streams, {len(site.apps)} apps, "
          f"{len(site.security_rules)} security rules). Try: help, can CORP\\alice read stream:Public\n")
    for warning in site.extra.get("warnings", []):
        write(f"note: {warning}\n")


def _confirm_quit(prompt: PromptSession) -> bool:
    try:
        answer = prompt.prompt("There are unsaved edits. Quit anyway? [y/N] ", multiline=False,
                               completer=None, bottom_toolbar=None, lexer=None, auto_suggest=None)
    except (EOFError, KeyboardInterrupt):
        return True
    return answer.strip().lower() in ("y", "yes")
