"""Errors that carry their exit code, formatted ``path:line: reason`` plus a hint.

Exit codes (the contract in ``docs/design.md``):

* ``0`` success (for ``check``: nothing to report)
* ``1`` ``check`` found problems
* ``2`` usage error or unreadable input
* ``3`` internal error (a bug in dedup; nothing was written)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


def printable(path: str) -> str:
    """A path as it can be printed and written to UTF-8 JSON: bytes of a name that is not UTF-8 (which
    Python keeps as lone surrogates) are shown as ``\\xNN``.

    >>> printable("seeds/a.txt")
    'seeds/a.txt'
    >>> printable("bad-" + chr(0xDCFF) + ".txt")
    'bad-\\\\xff.txt'
    """
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        pass
    try:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte (from JSON's "\ud800")
        return path.encode("utf-8", "backslashreplace").decode("utf-8")


def shorten(text: str, limit: int = 240) -> str:
    """A long path cut in the middle for a message.

    >>> shorten("a/" * 200 + "x.txt", 20)
    'a/a/a/a/a/…/a/a/x.txt (405 characters)'
    """
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}…{text[-half:]} ({len(text):,} characters)"


def location(path: str, line: int | None = None) -> str:
    """Format a place in an input as ``path:line`` (or just ``path``).

    >>> location("seeds/a.txt", 12)
    'seeds/a.txt:12'
    >>> location("seeds/")
    'seeds/'
    """
    path = shorten(printable(path))
    return f"{path}:{line}" if line is not None else path


class DedupError(Exception):
    """A failure the user can act on; ``exit_code`` is what the CLI exits with.

    >>> err = DedupError("not UTF-8", path="a.txt", line=3, hint="re-encode it")
    >>> str(err)
    'a.txt:3: not UTF-8'
    >>> err.exit_code
    2
    """

    exit_code = EXIT_USAGE

    def __init__(self, reason: str, *, path: str | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        self.reason = reason
        self.path = path
        self.line = line
        self.hint = hint
        super().__init__(self.format())

    def format(self) -> str:
        if self.path is None:
            return self.reason
        return f"{location(self.path, self.line)}: {self.reason}"

    def __str__(self) -> str:
        return self.format()


class InputError(DedupError):
    """An input file or folder cannot be read as a dump (exit code 2)."""


class UsageError(DedupError):
    """The command line or configuration is wrong (exit code 2)."""


class OutputError(DedupError):
    """An output cannot be written (read-only folder, full disk, a folder or device in the way, another
    run holding its lock); exit code 2, and nothing was changed."""


class IndexFileError(DedupError):
    """An ``--index`` file that cannot be used: missing, corrupt, truncated, of another schema version or
    built with other parameters (exit code 2). Never rebuilt silently."""


class WorkerLost(DedupError):
    """A worker process of the local engine ended in the middle of a run (killed: most often by the
    kernel's out-of-memory killer); exit code 2, and nothing was changed. Without this check a process
    pool waits forever for the lost task's result."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP ended a run; ``committed`` says whether its outputs were already in
    place when the signal came (otherwise nothing was changed). The CLI exits with 128 + the signal."""

    def __init__(self, signum: int, committed: bool = False) -> None:
        super().__init__(signum)
        self.signum = signum
        self.committed = committed
