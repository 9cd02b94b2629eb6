"""kernel install: put the qsplay Jupyter kernelspec where Jupyter looks (pip install already does)."""
from __future__ import annotations

import argparse
from importlib import resources

from .base import CommandError, Output, Session, arguments, command


@command("kernel", "install the qsplay Jupyter kernel for another environment: kernel install [--user|--prefix P]",
         scenarios="none", examples=("kernel install --user", "kernel install --prefix /opt/conda"))
@arguments(lambda p: (p.add_argument("verb", choices=("install",)),
                      p.add_argument("--user", action="store_true", help="for this user only"),
                      p.add_argument("--prefix", help="into this environment prefix")))
def run_kernel(session: Session, args: argparse.Namespace) -> Output:
    try:
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError:
        raise CommandError("jupyter_client is not installed")
    spec = resources.files("qsplay.kernel").joinpath("kernelspec")
    with resources.as_file(spec) as folder:
        try:
            where = KernelSpecManager().install_kernel_spec(str(folder), "qsplay", user=args.user, prefix=args.prefix)
        except OSError as exc:
            raise CommandError(f"cannot install the kernelspec: {exc}")
    return Output(f"installed the qsplay kernel in {where}\n", data={"path": where})
