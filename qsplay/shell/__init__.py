"""The interactive shell (prompt-toolkit) over the shared command layer."""


def run_shell(path=None, **kwargs) -> int:
    from .app import run_shell as _run
    return _run(path, **kwargs)


__all__ = ["run_shell"]
