"""kernel install: put the qsplay Jupyter kernelspec where Jupyter looks (pip install already does)."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from ..files import write_atomically
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
    with resources.as_file(spec) as shipped, tempfile.TemporaryDirectory() as folder:
        shutil.copytree(shipped, folder, dirs_exist_ok=True)
        write_atomically(Path(folder) / "kernel.json", json.dumps(kernel_json(shipped), indent=2) + "\n")
        try:
            where = KernelSpecManager().install_kernel_spec(folder, "qsplay", user=args.user, prefix=args.prefix)
        except OSError as exc:
            raise CommandError(f"cannot install the kernelspec: {exc.strerror or exc}")
    return Output(f"installed the qsplay kernel in {where}\n", data={"path": where})


def kernel_json(shipped: Path) -> dict:
    """The shipped kernel.json with this interpreter, the one that has qsplay: Jupyter replaces a
    bare "python" by its own interpreter, which in another environment (--prefix) lacks qsplay."""
    spec = json.loads((Path(shipped) / "kernel.json").read_text(encoding="utf-8"))
    spec["argv"] = [sys.executable] + spec["argv"][1:]
    return spec
