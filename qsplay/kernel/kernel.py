"""The `qsplay` Jupyter kernel: each cell is shell commands, run through the shared command layer.

A subclass of ipykernel's IPythonKernel, so comms work and ipywidgets display from it; only
execution, completion, inspection and completeness are replaced.
"""
from __future__ import annotations

from ipykernel.ipkernel import IPythonKernel

from .. import __version__
from ..commands import CommandError, Session, run_line
from ..commands.completion import completions, describe
from ..safe_text import escape_unsafe
from ..scenario import ScenarioError, demo_path
from ..shell.app import continues, needs_more


class QsplayKernel(IPythonKernel):
    implementation = "qsplay"
    implementation_version = __version__
    banner = "qsplay: Qlik Sense access, step by step. Cells are shell commands; try `help`."
    language_info = {
        "name": "qsplay",
        "mimetype": "text/x-qsplay",
        "file_extension": ".qsplay",
        "pygments_lexer": "qsplay",
        "codemirror_mode": "shell",
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.qsplay = Session()
        self.qsplay.load(demo_path())
        self.shell.user_ns["qsplay_session"] = self.qsplay  # for widgets made from a cell

    async def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False,
                         **kwargs):
        # IPythonKernel's execution_count is the shell's (its setter ignores +=): the cell gets the number
        # announced in execute_input, and the next cell the one after, as IPython's run_cell does
        count = self.shell.execution_count
        if not silent and store_history:
            self.shell.execution_count += 1
        for line in _commands(code):
            try:
                output = run_line(self.qsplay, line)
            except (CommandError, ScenarioError) as exc:
                return self._error(type(exc).__name__, str(exc), silent, count)
            except KeyboardInterrupt:  # "Interrupt the kernel" during a long audit
                return self._error("KeyboardInterrupt", "interrupted; the site is as it was before this line",
                                   silent, count)
            except Exception as exc:  # never let a cell kill the kernel
                return self._error(type(exc).__name__, f"internal error: {exc}", silent, count)
            if not silent:
                self._show(output, count)
        return {"status": "ok", "execution_count": count, "payload": [], "user_expressions": {}}

    @property
    def kernel_info(self):
        """A teaching kernel with no Python behind its cells offers no debugger (ipykernel's would
        inspect the Python session)."""
        info = dict(super().kernel_info)
        info["supported_features"] = [f for f in info.get("supported_features", []) if f != "debugger"]
        return info

    async def do_debug_request(self, msg):
        return {"type": "response", "request_seq": msg.get("seq", 0), "success": False,
                "command": msg.get("command", ""), "message": "the qsplay kernel has no debugger"}

    def _show(self, output, count: int) -> None:
        widget = getattr(output, "widget", None)
        if widget is not None:
            from IPython.display import display
            display(widget)
            return
        data = {"text/plain": output.render()}
        if output.prefer != "json":
            html = output.to_html()
            if html.lstrip().startswith("<?xml") or html.lstrip().startswith("<svg"):
                data["image/svg+xml"] = html
            else:
                data["text/html"] = html
        else:
            data["application/json"] = output.data
        self.send_response(self.iopub_socket, "display_data", {"data": data, "metadata": {}})

    def _error(self, name: str, message: str, silent: bool, count: int) -> dict:
        message = escape_unsafe(message)
        if not silent:
            self.send_response(self.iopub_socket, "stream", {"name": "stderr", "text": message + "\n"})
        return {"status": "error", "execution_count": count, "ename": name, "evalue": message,
                "traceback": [message]}

    def do_complete(self, code, cursor_pos):
        cursor_pos = len(code) if cursor_pos is None else cursor_pos
        line_start = code.rfind("\n", 0, cursor_pos) + 1
        items = completions(self.qsplay, code[line_start:cursor_pos])
        start = cursor_pos + (items[0].start if items else 0)
        return {"status": "ok", "matches": [c.text for c in items], "cursor_start": start, "cursor_end": cursor_pos,
                "metadata": {"_jupyter_types_experimental": [
                    {"text": c.text, "type": c.meta or "text", "start": start, "end": cursor_pos} for c in items]}}

    def do_inspect(self, code, cursor_pos, detail_level=0, omit_sections=()):
        word = _word_at(code, len(code) if cursor_pos is None else cursor_pos)
        text = describe(self.qsplay, word) if word else None
        if not text:
            return {"status": "ok", "found": False, "data": {}, "metadata": {}}
        return {"status": "ok", "found": True, "data": {"text/plain": text}, "metadata": {}}

    async def do_is_complete(self, code):
        last = code.rstrip("\n").split("\n")[-1] if code.strip() else ""
        if needs_more(last) or needs_more(code):
            return {"status": "incomplete", "indent": "  "}
        return {"status": "complete"}


def _commands(code: str) -> list[str]:
    """One command per line; a line ending in and/or/(/\\ or with an open quote continues. Linear
    in the cell: the counts that decide continuation are kept as the lines come, and the command
    is built in pieces (issue 18: a 32,000-line cell took 166 s when each line re-read all before)."""
    out: list[str] = []
    chunks: list[str] = []  # the command being read, in pieces ("".join: what the old fold built)
    quotes = opens = closes = 0
    last = ""  # its last non-blank line
    for line in code.splitlines():
        piece = line.rstrip().rstrip(chr(92))
        if chunks:
            chunks += [" ", piece]
            _strip_ends(chunks)
        elif piece:
            chunks = [piece]
        if not chunks:
            continue
        quotes, opens, closes = quotes + piece.count("'"), opens + piece.count("("), closes + piece.count(")")
        if piece.strip():
            last = piece
        if not continues(last, quotes, opens, closes):
            out.append("".join(chunks))
            chunks, quotes, opens, closes, last = [], 0, 0, 0, ""
    if chunks and "".join(chunks).strip():
        out.append("".join(chunks))
    return [c for c in out if c.strip() and not c.strip().startswith("#")]


def _strip_ends(chunks: list[str]) -> None:
    """str.strip() on "".join(chunks), touching only the pieces at the ends."""
    while chunks and not chunks[-1].strip():
        chunks.pop()
    if chunks:
        chunks[-1] = chunks[-1].rstrip()
    while chunks and not chunks[0].strip():
        chunks.pop(0)
    if chunks:
        chunks[0] = chunks[0].lstrip()


def _word_at(code: str, pos: int) -> str:
    import re
    for m in re.finditer(r'"[^"]*"|[\w\\@.:/-]+', code):
        if m.start() <= pos <= m.end():
            return m.group(0).strip('"')
    return ""
