"""Every example qsplay prints runs as printed, on the shipped files, the way a user runs it.

Where the examples come from (the rules are in docs/design.md, "Printed examples run"):
- README.md and docs/*.md: each line of a ```sh block is run by bash from a copy of the repository
  root with the virtual environment's bin/ on PATH (as after `. .venv/bin/activate`); each ```qsplay
  block is a shell session on the demo site; in a table with an "example" column, each cell's code
  spans are shell lines run in order in one session on the demo site.
- `<!-- not-run: REASON -->` on the line before a block or table marks a template that needs outside
  things (a live QRS server, a certificate, a fresh machine): it is skipped here, by name, with REASON.
- the shell's `help` ("Try:" line) and `help COMMAND` (its examples) run through the command layer on
  the demo site; `qsplay COMMAND --help` examples run as subprocesses from the repository root.
A sh line must exit 0 unless its comment says `# exit N`.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from qsplay.commands import CommandError, Session, load_all, run_line
from qsplay.scenario import demo_path

from .conftest import ROOT, SHARED

MARKER = re.compile(r"<!--\s*not-run:\s*(.*?)\s*-->")
FENCE = re.compile(r"^```(\w*)\s*$")
CODE_SPAN = re.compile(r"`([^`]+)`")
EXPECTED_EXIT = re.compile(r"#.*\bexit (\d)\b")
BIN = str(Path(sys.executable).parent)


@dataclass
class Example:
    source: str  # file:line or help:COMMAND
    kind: str  # sh | shell
    lines: list[str]
    skip: str | None = None
    cwd: str = "."

    @property
    def id(self) -> str:
        return f"{self.source}:{self.lines[0][:40]}"


def markdown_examples(path: Path) -> list[Example]:
    rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Example] = []
    i = 0

    def marker_before(index: int) -> str | None:
        j = index - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        match = MARKER.search(lines[j]) if j >= 0 else None
        return match.group(1) if match else None

    while i < len(lines):
        fence = FENCE.match(lines[i])
        if fence:
            end = next(k for k in range(i + 1, len(lines)) if lines[k].startswith("```"))
            body = lines[i + 1:end]
            kind = {"sh": "sh", "console": "sh", "qsplay": "shell"}.get(fence.group(1))
            if kind:
                skip = marker_before(i)
                if kind == "sh":
                    for n, command in _sh_lines(body, i + 2):
                        found.append(Example(f"{rel}:{n}", "sh", [command], skip))
                else:
                    code = [b for b in body if b.strip() and not b.lstrip().startswith("#")]
                    found.append(Example(f"{rel}:{i + 2}", "shell", code, skip))
            i = end + 1
            continue
        if lines[i].startswith("|") and i + 1 < len(lines) and set(lines[i + 1].replace("|", "").strip()) <= set("-: "):
            header = [c.strip().lower() for c in lines[i].strip("|").split("|")]
            column = next((k for k, c in enumerate(header) if c in ("example", "examples")), None)
            skip = marker_before(i)
            j = i + 2
            while j < len(lines) and lines[j].startswith("|"):
                if column is not None:
                    cells = [c.strip() for c in re.split(r"(?<!\\)\|", lines[j].strip().strip("|"))]
                    spans = [s.replace("\\|", "|") for s in CODE_SPAN.findall(cells[column])]
                    if spans:
                        found.append(Example(f"{rel}:{j + 1}", "shell", spans, skip))
                j += 1
            i = j
            continue
        i += 1
    return found


def _sh_lines(body: list[str], first_line: int):
    pending, start = "", first_line
    for n, raw in enumerate(body, first_line):
        if not pending:
            start = n
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        command = (pending + line).strip()
        pending = ""
        if command and not command.startswith("#"):
            yield start, command


def help_examples() -> list[Example]:
    registry = load_all()
    found = []
    top = run_line(Session(), "help").text
    try_line = next(line for line in top.splitlines() if line.startswith("Try:"))
    found.append(Example("help", "shell", [s for s in re.split(r"\s{3,}", try_line[4:].strip()) if s]))
    for name, cmd in sorted({c.name: c for c in registry.values()}.items()):
        for example in cmd.examples:
            found.append(Example(f"help {name}", "shell", [example]))
    return found


def cli_help_examples() -> list[Example]:
    from qsplay import cli
    registry = load_all()
    found = []
    for name in sorted({c.name for c in registry.values() if c.cli}):
        text = _cli_help(cli, name)
        if "examples:" not in text:
            continue
        for line in text.split("examples:", 1)[1].splitlines():
            if line.strip().startswith("qsplay "):
                found.append(Example(f"qsplay {name} --help", "sh", [line.strip()]))
    return found


def _cli_help(cli, name: str) -> str:
    import contextlib
    import io
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert cli.main([name, "--help"]) == 0
    return buffer.getvalue()


DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKDOWN = [e for path in DOCS for e in markdown_examples(path)]
HELP = help_examples()
CLI_HELP = cli_help_examples()
ALL = MARKDOWN + HELP + CLI_HELP


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A copy of what a fresh clone has at the repository root (so examples that write files write
    there), with ../shared beside it as in the project's layout."""
    base = tmp_path_factory.mktemp("clone")
    root = base / "qsplay"
    root.mkdir()
    for folder in ("scenarios", "notebooks", "tests/data", "docs"):
        shutil.copytree(ROOT / folder, root / folder)
    for name in ("README.md", "pyproject.toml"):
        shutil.copy(ROOT / name, root / name)
    if SHARED.is_dir():
        (base / "shared").symlink_to(SHARED)
    return root


def run_sh(example: Example, repo: Path) -> None:
    command = example.lines[0]
    expected = EXPECTED_EXIT.search(command)
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""), HOME=str(repo.parent),
               XDG_DATA_HOME=str(repo.parent / "xdg"), JUPYTER_DATA_DIR=str(repo.parent / "jupyter"))
    done = subprocess.run(["bash", "-c", command], cwd=repo / example.cwd, env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    want = int(expected.group(1)) if expected else 0
    assert done.returncode == want, (f"{example.source}: `{command}` exited {done.returncode}, not {want}\n"
                                     f"{done.stdout[-1500:]}\n{done.stderr[-1500:]}")
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def run_shell(example: Example, repo: Path, monkeypatch) -> None:
    monkeypatch.chdir(repo)
    session = Session()
    session.load(demo_path())  # the built-in demo, as `qsplay` opens it (save refuses to overwrite it)
    for line in example.lines:
        try:
            out = run_line(session, line)
        except CommandError as exc:
            pytest.fail(f"{example.source}: `{line}` failed: {exc}")
        text = out.render()
        assert "internal error" not in text, f"{example.source}: `{line}`: {text}"


@pytest.mark.parametrize("example", ALL, ids=lambda e: e.id)
def test_printed_example_runs(example, repo, monkeypatch):
    if example.skip:
        pytest.skip(f"not run ({example.source}): {example.skip}")
    if example.kind == "sh":
        run_sh(example, repo)
    else:
        run_shell(example, repo, monkeypatch)


def test_examples_are_found_everywhere():
    sources = {e.source.split(":")[0] for e in MARKDOWN}
    assert {"README.md", "docs/shell.md"} <= sources
    assert len(HELP) > 30 and len(CLI_HELP) > 15
    # a CLI example is a whole command line, its scenario named, quoted for a POSIX shell
    assert all(e.lines[0].startswith("qsplay ") for e in CLI_HELP)
    assert any("qsplay audit scenarios/anonymous-hub.yaml --user 'CORP\\bob'" in e.lines[0] for e in CLI_HELP)


def test_a_template_is_skipped_by_name_not_silently(tmp_path):
    text = "intro\n\n<!-- not-run: needs a live QRS server -->\n```sh\nqsplay pull https://qrs.example:4242\n```\n"
    path = tmp_path / "probe.md"
    path.write_text(text, encoding="utf-8")
    (example,) = markdown_examples(path)
    assert example.skip == "needs a live QRS server" and example.lines == ["qsplay pull https://qrs.example:4242"]
