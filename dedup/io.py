"""Atomic output: write to a temp file beside the target, fsync, ``os.replace`` on success, unlink on
failure. A failed or killed run leaves an earlier file exactly as it was.

A run writes several files (corpus, JSON and HTML report, timings): :class:`Staging` writes them all to
temp files first and replaces the targets only at one commit point, so a reader never sees the corpus of
one run with the report of another. :func:`check_output` refuses bad targets before any work, and
:class:`OutputLock` keeps two runs from writing one output at once.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from .errors import OutputError, printable

FileId = tuple[int, int]


def file_id(path: str) -> FileId | None:
    """``(device, inode)`` of the file ``path`` names (symlinks followed), or ``None`` if there is none."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


#: The signals that end a run (Ctrl-C, SIGTERM, SIGHUP): what :func:`signals_held` holds off.
RUN_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold off Ctrl-C, SIGTERM and SIGHUP for the block: one that comes meanwhile arrives when it ends.

    Blocking the signals (``pthread_sigmask``) holds them off the calling thread only. With another thread in
    the process (Ray's, tqdm's monitor) the kernel hands the signal to that thread, and Python runs the handler
    in the main thread all the same, in the middle of the block. So the Python handlers are swapped for one that
    notes the signal too, and a noted signal is raised again once the handlers are back. The mask stays: threads
    and processes started in the block inherit it (a forked pool worker must not run the parent's handler).
    Handlers run only in the main thread, so elsewhere the mask is all there is to do.
    """
    noted: list[int] = []
    swapped: dict[int, Any] = {}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, RUN_SIGNALS)
    try:
        if threading.current_thread() is threading.main_thread():
            for signum in RUN_SIGNALS:
                handler = signal.getsignal(signum)
                if handler not in (signal.SIG_IGN, None):  # ignored stays ignored (nohup)
                    swapped[signum] = handler
                    signal.signal(signum, lambda number, frame: noted.append(number))
        yield
    finally:
        for swapped_signal, handler in swapped.items():
            signal.signal(swapped_signal, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a signal the mask held arrives here
        for number in dict.fromkeys(noted):
            signal.raise_signal(number)


def _nearest_folder(path: str) -> str:
    """The nearest existing ancestor of ``path`` (the folder a run would create ``path`` in)."""
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.lexists(folder):
        folder = os.path.dirname(folder)
    return folder


def check_output(path: str, inputs: Iterable[FileId] = (), what: str = "output") -> None:
    """Refuse, before any work, an output that cannot or must not be written (:class:`OutputError`, exit 2):
    an input (same device and inode, however spelled), a symlink, a folder, a device or FIFO, a path whose
    parent is a file, a folder that cannot be written.
    """
    shown = printable(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise OutputError(f"cannot write the {what}: a parent of it is a file, not a folder", path=shown,
                          hint="choose a path inside a folder") from None
    except OSError as exc:
        raise OutputError(f"cannot write the {what}: {exc.strerror}", path=shown) from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise OutputError(f"the {what} is a symlink; dedup replaces files, it would replace the link",
                              path=shown, hint="name the file the link points to, or another path")
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(f"the {what} is a folder", path=shown, hint="name a file, e.g. out/corpus.jsonl")
        if not stat.S_ISREG(st.st_mode):
            raise OutputError(f"the {what} is not a regular file (a device, FIFO or socket)", path=shown,
                              hint="name a regular file; dedup writes a temp file and renames it over the target")
        if (st.st_dev, st.st_ino) in set(inputs):
            raise OutputError(f"the {what} is also an input", path=shown,
                              hint="write the corpus and report outside the input folders")
    folder = _nearest_folder(path)
    if not os.path.isdir(folder):
        raise OutputError(f"cannot write the {what}: {printable(folder)} is a file, not a folder", path=shown,
                          hint="choose a path inside a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write the {what}: no permission to write in {printable(folder)}", path=shown,
                          hint="choose a folder you can write to")
    if os.path.dirname(os.path.abspath(path)) == folder:
        try:  # the honest test (read-only mounts pass os.access as root)
            fd, probe = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".probe", dir=folder)
        except OSError as exc:
            raise OutputError(f"cannot write the {what}: {exc.strerror}", path=shown,
                              hint="choose a folder you can write to") from None
        os.close(fd)
        os.unlink(probe)


def write_error(exc: OSError, path: str) -> OutputError:
    """An :class:`OutputError` for an ``OSError`` raised while writing ``path`` (nothing was changed)."""
    hints = {errno.ENOSPC: "free some space (or write elsewhere) and run again",
             errno.EDQUOT: "free some space (or write elsewhere) and run again",
             errno.EROFS: "the file system is read-only: write elsewhere",
             errno.EACCES: "choose a folder you can write to"}
    return OutputError(f"cannot write: {exc.strerror or exc}; no output was changed", path=printable(path),
                       hint=hints.get(exc.errno or 0, "check the output path and run again"))


class OutputLock:
    """An exclusive lock on an output (``.NAME.lock`` beside it, removed afterwards): a second run writing
    the same output while one runs stops at once with :class:`OutputError` instead of interleaving files.
    """

    def __init__(self, path: str) -> None:
        folder = os.path.realpath(os.path.dirname(os.path.abspath(path)))
        self.path = os.path.join(folder, f".{os.path.basename(path)}.lock")
        self.target = path
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        import fcntl  # POSIX only: imported here so that the rest of this module imports anywhere

        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise OutputError("another dedup run is writing this output", path=printable(self.target),
                                  hint=f"wait for it to finish (its lock: {printable(self.path)})") from None
            # the holder before us may have removed the lock file between our open and our flock
            if file_id(self.path) == (os.fstat(fd).st_dev, os.fstat(fd).st_ino):
                self._fd = fd
                return self
            os.close(fd)

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            os.close(self._fd)
            self._fd = None


def remove_stale_temps(path: str) -> list[str]:
    """Remove the temp files a killed run (SIGKILL, power loss) left beside ``path``
    (``.NAME.*.tmp``); call it only while holding the output's :class:`OutputLock`, when no other run can be
    writing them. Returns what was removed."""
    folder = os.path.dirname(os.path.abspath(path))
    prefix = f".{os.path.basename(path)}."
    removed: list[str] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if name.startswith(prefix) and name.endswith((".tmp", ".probe")):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))
                removed.append(name)
    return removed


class Staging:
    """Several outputs written to temp files beside their targets, then put in place together.

    ``open(path)`` gives a file to write; :meth:`commit` fsyncs and replaces every target (signals held
    off meanwhile, so Ctrl-C or SIGTERM cannot stop it half way); leaving the ``with`` block without a
    commit removes every temp file and changes nothing.
    """

    def __init__(self) -> None:
        self._staged: list[tuple[str, str]] = []  # (temp, target)
        self._open: list[IO] = []
        self._target: dict[int, str] = {}  # id of an open file -> its target

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()

    def open(self, path: str, mode: str = "w") -> IO:
        folder = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise write_error(exc, path) from None
        self._staged.append((tmp, path))
        kwargs = {"encoding": "utf-8", "newline": "\n"} if "b" not in mode else {}
        fh = os.fdopen(fd, mode, **kwargs)  # type: ignore[call-overload]
        self._open.append(fh)
        self._target[id(fh)] = path
        return fh

    def close(self, fh: IO) -> None:
        """Flush, fsync and close one staged file (a full disk shows here, before anything is replaced)."""
        target = self._target.get(id(fh), "output")
        try:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        except OSError as exc:
            raise write_error(exc, target) from None
        finally:
            if fh in self._open:
                self._open.remove(fh)

    def commit(self, last: str | None = None, on_committed: Callable[[], None] | None = None) -> None:
        """Put every staged file in place, in the order staged but ``last`` last (the file readers look
        for: a run killed in between leaves the old one, whose report no longer matches it by sha256).
        ``on_committed`` runs once everything is in place, before held signals are let through."""
        for fh in list(self._open):
            self.close(fh)
        if last is not None:
            self._staged.sort(key=lambda st: st[1] == last)
        for tmp, path in self._staged:
            _set_mode(tmp, path)
        done: list[str] = []
        with signals_held():
            for tmp, path in self._staged:
                try:
                    os.replace(tmp, path)
                except OSError as exc:
                    err = write_error(exc, path)
                    if done:
                        err.reason = (f"cannot write: {exc.strerror}; already replaced: "
                                      f"{', '.join(printable(d) for d in done)}")
                        err.hint = "run again to write a matching set"
                    raise err from None
                done.append(path)
            self._staged = []
            if on_committed is not None:
                on_committed()

    def abort(self) -> None:
        for fh in self._open:
            with contextlib.suppress(OSError):
                fh.close()
        self._open = []
        for tmp, _ in self._staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self._staged = []


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
