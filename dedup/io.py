"""Atomic output: write to a temp file beside the target, fsync, ``os.replace`` on success, unlink on
failure. A failed or killed run leaves an earlier file exactly as it was."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO


@contextlib.contextmanager
def atomic_writer(path: str, mode: str = "w") -> Iterator[IO]:
    """Open a temp file next to ``path``; on a clean exit it replaces ``path``, on error it vanishes.

    >>> import os, tempfile
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "out.txt")
    >>> with atomic_writer(p) as fh:
    ...     _ = fh.write("hello\\n")
    >>> from pathlib import Path
    >>> Path(p).read_text()
    'hello\\n'
    >>> try:
    ...     with atomic_writer(p) as fh:
    ...         _ = fh.write("partial")
    ...         raise RuntimeError("boom")
    ... except RuntimeError:
    ...     pass
    >>> Path(p).read_text(), sorted(os.listdir(d))
    ('hello\\n', ['out.txt'])
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        kwargs = {"encoding": "utf-8", "newline": "\n"} if "b" not in mode else {}
        with os.fdopen(fd, mode, **kwargs) as fh:  # type: ignore[call-overload]
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _set_mode(tmp, path)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _set_mode(tmp: str, path: str) -> None:
    """Give the new file the old file's permissions, or the usual ones (0666 less the umask): mkstemp makes
    it 0600, which would hide a corpus from its other readers."""
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)


def sha256_file(path: str) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
