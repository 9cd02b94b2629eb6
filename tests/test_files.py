"""The one writer and the one reader (qsplay/files.py), issue 18 findings 8, 10, 13, 14.

Every output is the old file or the new one, never partial; links are followed and kept; mode and
owner are kept; new files get the umask's mode. Only regular files inside the folder are read.
"""
import errno
import json
import os
import stat
import threading

import pytest
from hypothesis import given, settings, strategies as st

from qsplay import files
from qsplay.cli import main
from qsplay.files import FileProblem, read_bytes, write_atomically

from .conftest import ROOT

DEMO = str(ROOT / "scenarios" / "anonymous-hub.yaml")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


# -- writing ----------------------------------------------------------------------------------

def test_a_link_is_followed_and_kept(tmp_path):
    target = tmp_path / "real.yaml"
    target.write_text("old\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    write_atomically(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new\n"


def test_mode_and_owner_are_kept(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    if os.getuid() == 0:
        os.chown(path, 12345, 23456)
    write_atomically(path, "new\n")
    info = path.stat()
    assert stat.S_IMODE(info.st_mode) == 0o640
    if os.getuid() == 0:
        assert (info.st_uid, info.st_gid) == (12345, 23456)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_a_new_file_gets_the_umask_mode(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        write_atomically(tmp_path / "new.svg", b"<svg/>")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.svg").stat().st_mode) == mode


def _disk_full_after(n):
    def write(fh, data):
        fh.write(data[:n])
        raise OSError(errno.ENOSPC, "No space left on device")
    return write


def test_a_full_disk_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "rules.json"
    path.write_text('["old"]\n')
    monkeypatch.setattr(files, "_write_all", _disk_full_after(4096))
    with pytest.raises(FileProblem) as err:
        write_atomically(path, json.dumps(["x" * 10000]))
    assert "disk" in str(err.value) and "left as it was" in str(err.value)
    assert path.read_text() == '["old"]\n' and not leftovers(tmp_path)


def test_export_graph_preview_on_a_full_disk_keep_the_old_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(files, "_write_all", _disk_full_after(10))
    for argv, name in ((["export-qrs"], "rules.json"), (["graph"], "g.dot"),
                       (["preview", "--disable", "Stream", "--format", "json"], "diff.json")):
        out = tmp_path / name
        out.write_text("old")
        code, _, err = run(capsys, argv[0], DEMO, *argv[1:], "-o", str(out))
        assert code == 2 and "disk" in err and "internal error" not in err, (argv, err)
        assert out.read_text() == "old"
    assert not leftovers(tmp_path)


def test_a_read_only_folder_is_said_plainly(tmp_path, monkeypatch, capsys):
    def refuse(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    code, _, err = run(capsys, "export-qrs", DEMO, "-o", str(tmp_path / "rules.json"))
    assert code == 2 and "read-only" in err and "internal error" not in err
    monkeypatch.setattr(files.tempfile, "mkstemp",
                        lambda *a, **k: (_ for _ in ()).throw(PermissionError(errno.EACCES, "Permission denied")))
    code, _, err = run(capsys, "graph", DEMO, "-o", str(tmp_path / "g.svg"))
    assert code == 2 and "no permission" in err and "internal error" not in err


def test_save_goes_through_the_writer(tmp_path):
    from qsplay.commands import Session, run_line
    target = tmp_path / "real.yaml"
    target.write_text((ROOT / "scenarios" / "anonymous-hub.yaml").read_text())
    os.chmod(target, 0o664)
    link = tmp_path / "site.yaml"
    link.symlink_to(target)
    session = Session()
    session.load(link)
    run_line(session, "save")
    assert link.is_symlink() and stat.S_IMODE(target.stat().st_mode) == 0o664


@settings(max_examples=60, deadline=None)
@given(old=st.binary(max_size=3000), new=st.binary(max_size=3000),
       fault=st.sampled_from(["none", "write", "fsync", "chmod", "replace"]), at=st.integers(0, 3000))
def test_every_output_file_is_old_or_new_never_partial(tmp_path_factory, old, new, fault, at):
    folder = tmp_path_factory.mktemp("out")
    path = folder / "out.bin"
    path.write_bytes(old)
    saved = {name: getattr(obj, name) for obj, name in ((files, "_write_all"), (os, "fsync"), (os, "chmod"),
                                                         (os, "replace"))}

    def boom(*a, **k):
        raise OSError(errno.EIO, "Input/output error")
    try:
        if fault == "write":
            files._write_all = _disk_full_after(at)
        elif fault == "fsync":
            os.fsync = boom
        elif fault == "chmod":
            os.chmod = boom
        elif fault == "replace":
            os.replace = boom
        try:
            write_atomically(path, new)
        except FileProblem:
            pass
    finally:
        files._write_all = saved["_write_all"]
        os.fsync, os.chmod, os.replace = saved["fsync"], saved["chmod"], saved["replace"]
    assert path.read_bytes() == (new if fault == "none" else old)
    assert not leftovers(folder)


def test_writing_over_a_fifo_or_folder_is_refused(tmp_path):
    fifo = tmp_path / "g.svg"
    os.mkfifo(fifo)
    with pytest.raises(FileProblem, match="FIFO"):
        write_atomically(fifo, "x")
    with pytest.raises(FileProblem, match="folder"):
        write_atomically(tmp_path, "x")


# -- reading ----------------------------------------------------------------------------------

def _import(capsys, folder, out):
    result = {}

    def go():
        result["r"] = run(capsys, "import-qrs", str(folder), "-o", str(out))
    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(20)
    assert not t.is_alive(), "import-qrs hung"
    return result["r"]


def test_a_fifo_in_an_import_folder_is_refused_not_waited_on(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "app.json")
    code, _, err = _import(capsys, folder, tmp_path / "site.yaml")
    assert code == 2 and "FIFO" in err and "app.json" in err
    assert not (tmp_path / "site.yaml").exists()


def test_links_out_of_the_folder_and_devices_are_refused(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "user.json").symlink_to("/etc/passwd")
    code, _, err = _import(capsys, folder, tmp_path / "site.yaml")
    assert code == 2 and "outside" in err and "root:" not in err
    (folder / "user.json").unlink()
    (folder / "user.json").symlink_to("/dev/zero")
    with pytest.raises(FileProblem, match="device"):
        read_bytes(folder / "user.json")
    code, _, err = _import(capsys, folder, tmp_path / "site.yaml")
    assert code == 2 and "root:" not in err


def test_a_link_inside_the_folder_is_read(tmp_path):
    (tmp_path / "real.json").write_text("[]")
    (tmp_path / "user.json").symlink_to(tmp_path / "real.json")
    assert read_bytes(tmp_path / "user.json", inside=tmp_path) == b"[]"


def test_sizes_are_capped(tmp_path):
    (tmp_path / "big.json").write_bytes(b" " * 2000)
    with pytest.raises(FileProblem, match="more than"):
        read_bytes(tmp_path / "big.json", max_bytes=1000)


def test_check_and_load_on_a_fifo_or_device(tmp_path, capsys):
    os.mkfifo(tmp_path / "site.yaml")
    code, _, err = run(capsys, "decide", str(tmp_path / "site.yaml"), "--resource", "stream:X")
    assert code == 2 and "FIFO" in err
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    code, out, err = run(capsys, "check", str(tmp_path / "zero.yaml"))
    assert code != 0 and "device" in (out + err)


# -- history and kernelspec -------------------------------------------------------------------

def test_history_is_private_and_old_modes_are_fixed(tmp_path):
    from qsplay.shell.app import private_history_file
    path = tmp_path / "qsplay" / "history"
    path.parent.mkdir()
    path.write_text("old\n")
    os.chmod(path, 0o644)
    os.chmod(path.parent, 0o755)
    private_history_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    fresh = tmp_path / "new" / "qsplay" / "history"
    private_history_file(fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600 and stat.S_IMODE(fresh.parent.stat().st_mode) == 0o700


def test_kernel_install_into_another_prefix_names_this_interpreter(tmp_path, capsys):
    import sys
    code, out, err = run(capsys, "kernel", "install", "--prefix", str(tmp_path / "env"))
    assert code == 0, err
    spec = json.loads((tmp_path / "env" / "share" / "jupyter" / "kernels" / "qsplay" / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable and spec["argv"][1:3] == ["-m", "qsplay.kernel"]
