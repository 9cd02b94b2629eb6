"""The compiled-site cache: a large scenario's built Site, kept by the hash of the file's bytes (issue 21).

Reading an M-size site with the fast reader and building its model costs a few CPU seconds; loading
the model the builder made last time costs a tenth of that. The cache holds exactly what
`Reader.build` produced from the same bytes with the same qsplay code (the key is the file's
content hash, its path, the lenient flag and a fingerprint of qsplay's own source and data files), so
the model is the builder's — a new scenario field reaches it with no change here.

Where: $QSPLAY_CACHE_DIR, else $XDG_CACHE_HOME/qsplay, else ~/.cache/qsplay; QSPLAY_CACHE=off turns
it off. The folder is the user's own (mode 0700; a folder others can write to is not used, since a
cached site is a pickle, trusted like Python's own __pycache__); files are written through the one
atomic writer; the newest few are kept. Small files (under MIN_BYTES) are not cached: they load fast.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
from pathlib import Path

MIN_BYTES = 512 * 1024
KEEP = 6  # cached sites kept (newest first)
_FINGERPRINT: str | None = None


def folder() -> Path | None:
    if os.environ.get("QSPLAY_CACHE", "").lower() in ("off", "0", "no", "false"):
        return None
    base = os.environ.get("QSPLAY_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "qsplay")
    return Path(base)


def key(data: bytes, path: str, lenient: bool) -> str:
    h = hashlib.sha256()
    for part in (code_fingerprint(), os.path.realpath(path), "lenient" if lenient else "strict"):
        h.update(part.encode("utf-8", "surrogateescape") + b"\0")
    h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


def code_fingerprint() -> str:
    """qsplay's own code and data: a changed builder never reuses an old cached site."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        root = Path(__file__).resolve().parents[1]
        h = hashlib.sha256(sys.version.encode())
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".yaml", ".json") and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
        _FINGERPRINT = h.hexdigest()
    return _FINGERPRINT


def _usable(where: Path, create: bool) -> bool:
    try:
        if create:
            where.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.stat(where)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022


def get(cache_key: str):
    """The cached Site, or None (no cache, not cached, or unreadable: then the file is read)."""
    where = folder()
    if where is None or not _usable(where, create=False):
        return None
    path = where / f"{cache_key}.site"
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            return None
        with open(path, "rb") as fh:
            site = pickle.load(fh)
        os.utime(path)  # recently used: kept
    except Exception:  # a damaged or stale entry is only a missed shortcut
        return None
    return site


def put(cache_key: str, site) -> None:
    """Keep the site for next time; any failure (full disk, read-only home) only skips the cache."""
    from ..files import FileProblem, write_atomically
    where = folder()
    if where is None or not _usable(where, create=True):
        return
    lazy = getattr(site.extra, "lazy", None)
    try:
        site.extra.lazy = None  # the text is not kept: the caller has it, and re-attaches it
        data = pickle.dumps(site, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return
    finally:
        site.extra.lazy = lazy
    try:
        write_atomically(where / f"{cache_key}.site", data)
        entries = sorted(where.glob("*.site"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            old.unlink()
    except (OSError, FileProblem):
        pass
