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
        return _shell(argv)
    cmd = registry[argv[0]]
    try:
        if cmd.scenarios == "one":
            args_parser = cmd.parser(prog=f"qsplay {cmd.name}", with_scenario=True)
            try:
                args = args_parser.parse_args(argv[1:])
            except Exception as exc:  # help or usage error from the command parser
                return _report(exc)
            session = load_for_cli(args.scenario, lenient=cmd.name == "lint")
            output = cmd.run(session, args)
        else:
            output = run_command(Session(), cmd, argv[1:], with_scenario=cmd.scenarios == "many")
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


def _shell(argv: list[str]) -> int:
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(f"qsplay: unknown command or option {argv[0]!r}; try qsplay --help", file=sys.stderr)
        return 2
    try:
        from .shell import run_shell
    except ImportError:
        print("the interactive shell is not available in this build", file=sys.stderr)
        return 2
    return run_shell(argv[0] if argv else None)
