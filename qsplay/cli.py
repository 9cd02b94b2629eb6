"""The `qsplay` command line: subcommands from the shared command layer, or the shell."""
from __future__ import annotations

import sys

USAGE = """usage: qsplay [SCENARIO]            interactive shell (the built-in demo site when no file is given)
       qsplay COMMAND [ARGS...]     run one command; qsplay COMMAND --help for its flags
       qsplay --version

commands:
"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["--version"], ["-V"]):
        from . import __version__
        print(f"qsplay {__version__}")
        return 0
    from .commands import CommandError, load_all, run_command
    from .safe_text import escape_unsafe
    from .commands.base import Session, load_for_cli
    registry = load_all()
    if argv[:1] in (["-h"], ["--help"], ["help"]):
        names = sorted({c.name: c for c in registry.values() if c.cli}.items())
        print(USAGE + "\n".join(f"  {name:<12} {cmd.summary}" for name, cmd in names))
        return 0
    if not argv or argv[0] not in registry:
        return _shell(argv, registry)
    cmd = registry[argv[0]]
    if not cmd.cli:
        return _shell_only(cmd, argv)
    try:
        if cmd.scenarios == "one":
            args_parser = cmd.parser(prog=f"qsplay {cmd.name}", with_scenario=True, cli=True)
            try:
                args = args_parser.parse_args(argv[1:])
            except Exception as exc:  # help or usage error from the command parser
                return _report(exc)
            session = load_for_cli(args.scenario, lenient=cmd.name == "lint")
            output = cmd.run(session, args)
        else:
            output = run_command(Session(), cmd, argv[1:], with_scenario=cmd.scenarios == "many", cli=True)
    except CommandError as exc:
        print(escape_unsafe(str(exc)), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug must still end in a message, not a traceback (QSPLAY_DEBUG=1 shows it)
        import os
        if os.environ.get("QSPLAY_DEBUG"):
            raise
        print(escape_unsafe(f"qsplay: internal error ({type(exc).__name__}): {exc}"), file=sys.stderr)
        return 2
    sys.stdout.write(output.render())
    return output.exit_code


def _report(exc: Exception) -> int:
    from .commands.base import CommandError, _HelpShown
    if isinstance(exc, _HelpShown):
        sys.stdout.write(str(exc))
        return exc.status
    if isinstance(exc, CommandError):
        from .safe_text import escape_unsafe
        print(escape_unsafe(str(exc)), file=sys.stderr)
        return exc.exit_code
    raise exc


def _shell_only(cmd, argv: list[str]) -> int:
    """A shell command named on the command line: say how to run it (it needs a loaded site)."""
    import shlex
    line = " ".join(f'"{a}"' if " " in a else a for a in argv)  # as the shell reads it
    hint = ""
    if cmd.name in ("can", "why", "expect"):
        hint = ("\n  or as one CLI command: qsplay decide SCENARIO --user USER --resource RESOURCE --action ACTION"
                + (" --verbose" if cmd.name == "why" else " --expect allow|deny" if cmd.name == "expect" else ""))
    print(f"qsplay: {cmd.name} is a shell command (it works on a loaded site); run it in the shell:\n"
          f"  qsplay [SCENARIO]   then   {line}\n"
          f"  or as a script: printf '%s\\n' {shlex.quote(line)} | qsplay [SCENARIO]{hint}", file=sys.stderr)
    return 2


def _shell(argv: list[str], registry: dict | None = None) -> int:
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(f"qsplay: unknown command or option {argv[0]!r}; try qsplay --help", file=sys.stderr)
        return 2
    if argv and registry is not None and not _looks_like_a_file(argv[0]):
        import difflib
        names = sorted({c.name for c in registry.values()})
        close = difflib.get_close_matches(argv[0].lower(), names, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        print(f"qsplay: {argv[0]!r} is neither a command nor a file{hint} (qsplay --help lists the commands)",
              file=sys.stderr)
        return 2
    try:
        from .shell import run_shell
    except ImportError:
        print("the interactive shell is not available in this build", file=sys.stderr)
        return 2
    return run_shell(argv[0] if argv else None)


def _looks_like_a_file(word: str) -> bool:
    from pathlib import Path
    return Path(word).exists() or "/" in word or "\\" in word or "." in word
