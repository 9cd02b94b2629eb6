"""Every file qsplay writes or reads goes through here.

Writing (`write_atomically`): the new content goes to a temporary file in the target's own folder,
is flushed to disk, gets the old file's mode and owner, and is then renamed over the target, so a
reader only ever sees the old file or the new one — never a partial one, even on a full disk or a
crash. A symbolic link is followed: the file it points to is replaced and the link stays. A new
file gets the mode the umask gives (as `open()` would), not the temporary file's 0600.

Reading (`read_bytes`, `read_text`): regular files only — a FIFO would block forever, a device
(`/dev/zero`) never ends, and a link to a file elsewhere (`/etc/passwd`) must not be read or shown
in an error. With `inside=FOLDER` the resolved file must stay in that folder. Sizes are capped.

Every refusal is a FileProblem whose message names the file and says what to do; the command layer
shows it like any other command error.
"""
from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
from pathlib import Path

MAX_READ_BYTES = 512 * 1024 * 1024  # a large QRS export is tens of MB; this only stops runaway inputs


class FileProblem(Exception):
    """A file that cannot be written or read, said plainly (file name included)."""


# -- writing --------------------------------------------------------------------------------------

def write_atomically(path: str | Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    """Write `content` to `path` all at once: old file or new file, never partial. Returns `path`."""
    path = Path(path)
    data = content.encode(encoding) if isinstance(content, str) else bytes(content)
    target = Path(os.path.realpath(path))  # through symlinks: write what the link points to, keep the link
    try:
        old = os.stat(target)
    except FileNotFoundError:
        old = None
    except OSError as exc:
        raise FileProblem(_write_message(path, target, exc)) from None
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise FileProblem(f"cannot write {path}: it is {_kind(old.st_mode)}, not a regular file")
    folder = target.parent
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=str(folder))
        with os.fdopen(fd, "wb") as fh:
            _write_all(fh, data)
            fh.flush()
            os.fsync(fh.fileno())
        if old is not None:
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
            _keep_owner(tmp, old)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
        tmp = None
        _sync_folder(folder)
    except OSError as exc:
        raise FileProblem(_write_message(path, target, exc, existed=old is not None)) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return path


def _write_all(fh, data: bytes) -> None:
    """One place the bytes go out (tests inject a full disk here)."""
    fh.write(data)


def _keep_owner(tmp: str, old: os.stat_result) -> None:
    if (old.st_uid, old.st_gid) == (os.getuid(), os.getgid()):
        return
    try:
        os.chown(tmp, old.st_uid, old.st_gid)
    except PermissionError:
        try:  # not root: keep at least the group when we belong to it
            os.chown(tmp, -1, old.st_gid)
        except PermissionError:
            pass


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_message(path: Path, target: Path, exc: OSError, existed: bool = False) -> str:
    kept = f"; {path} was left as it was" if existed else ""
    folder = target.parent
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return f"cannot write {path}: the disk (or your quota) is full{kept}"
    if code == errno.EROFS:
        return f"cannot write {path}: {folder} is on a read-only file system{kept}"
    if code in (errno.EACCES, errno.EPERM):
        return f"cannot write {path}: no permission to create files in {folder}{kept}"
    if code == errno.ENOENT:
        return f"cannot write {path}: the folder {folder} does not exist"
    if code == errno.ENOTDIR:
        return f"cannot write {path}: part of the path is not a folder"
    if code == errno.EISDIR:
        return f"cannot write {path}: it is a folder"
    return f"cannot write {path}: {exc.strerror or exc}{kept}"


# -- reading --------------------------------------------------------------------------------------

def read_bytes(path: str | Path, max_bytes: int = MAX_READ_BYTES, inside: str | Path | None = None) -> bytes:
    """The bytes of a regular file (following links only to regular files, and only inside
    `inside` when given), refusing files larger than `max_bytes`."""
    path = Path(path)
    real = Path(os.path.realpath(path))
    if inside is not None:
        root = Path(os.path.realpath(inside))
        if real != root and root not in real.parents:
            raise FileProblem(f"{path}: a link to a file outside {inside}; not read")
    try:
        info = os.stat(real)
    except FileNotFoundError:
        raise FileProblem(f"{path}: no such file" + (" (a broken link)" if path.is_symlink() else "")) from None
    except OSError as exc:
        raise FileProblem(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise FileProblem(f"{path}: {_kind(info.st_mode)}, not a regular file; not read")
    if info.st_size > max_bytes:
        raise FileProblem(f"{path}: {info.st_size:,} bytes is more than the {max_bytes:,} qsplay reads")
    try:
        # O_NONBLOCK: should the file be swapped for a FIFO after the check, open() still returns
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise FileProblem(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileProblem(f"{path}: not a regular file; not read")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:
                raise FileProblem(f"{path}: more than the {max_bytes:,} bytes qsplay reads")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise FileProblem(f"{path}: cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_text(path: str | Path, max_bytes: int = MAX_READ_BYTES, inside: str | Path | None = None,
              encoding: str = "utf-8") -> str:
    """`read_bytes` decoded; a UnicodeDecodeError is left to the caller, who can locate it."""
    return read_bytes(path, max_bytes, inside).decode(encoding)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def fingerprint(data: bytes) -> str:
    """What a file held when it was read: `save` compares it with the file on disk, so a change
    made since (another session, an editor adding a comment) is never silently overwritten."""
    return hashlib.sha256(data).hexdigest()


def fingerprint_of(path: str | Path) -> str | None:
    """The fingerprint of the file now, or None when there is no readable regular file."""
    try:
        return fingerprint(read_bytes(path))
    except FileProblem:
        return None
