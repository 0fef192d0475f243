"""The ``dedup`` command line. Results go to files or stdout; messages and progress to stderr.

Exit codes: 0 success (``check``: nothing to report), 1 ``check`` found problems, 2 usage error or
unreadable input. Heavy modules are imported inside the commands so ``dedup --help`` starts fast.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from . import __version__
from .errors import EXIT_USAGE, DedupError

F = TypeVar("F", bound=Callable[..., Any])


def report_error(err: DedupError) -> None:
    """Print ``path:line: reason`` and a hint on stderr."""
    click.echo(f"dedup: {err.format()}", err=True)
    if err.hint:
        click.echo(f"  hint: {err.hint}", err=True)


def handle_errors(func: F) -> F:
    """Turn a :class:`DedupError` into its message and exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DedupError as err:
            report_error(err)
            sys.exit(err.exit_code)
        except KeyboardInterrupt:
            click.echo("dedup: interrupted; no output was changed", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def warn_rejects(rejects: list[Any], quiet: bool = False, limit: int = 20) -> None:
    """Record-level problems: reported on stderr (a few, then a count), never dropped silently."""
    if not rejects:
        return
    for r in rejects[:limit]:
        click.echo(f"dedup: warning: {r.format()}", err=True)
    if len(rejects) > limit:
        click.echo(f"dedup: warning: … and {len(rejects) - limit} more rejected records", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedup")
def main() -> None:
    """Deduplicate scraped paper-listing dumps into one clean canonical JSONL corpus."""


@main.command("read")
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@handle_errors
def read_cmd(inputs: tuple[str, ...]) -> None:
    """Print the raw records the reader finds in INPUTS as JSON Lines (before any repair).

    Rejected records are reported on stderr as ``path:line: reason``.
    """
    from .read import read_paths

    results = read_paths(list(inputs))
    out = sys.stdout
    rejects = []
    for res in results:
        for rec in res.records:
            out.write(json.dumps(rec.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
        rejects.extend(res.rejects)
    warn_rejects(rejects)


@main.command("canonicalize")
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--key", is_flag=True, help="Print the dedup key (for hashing) instead of the clean text.")
@handle_errors
def canonicalize_cmd(file: str | None, key: bool) -> None:
    """Repair scrape artifacts in FILE (stdin when absent), line by line, to stdout.

    Each input line is one text; JSON Lines records (lines starting with ``{``) have their ``title`` and
    ``abstract`` fields canonicalized and are written back as JSON.
    """
    from .canonicalize import canonicalize, dedup_key
    from .read import decode

    fn = dedup_key if key else canonicalize
    name = file if file and file != "-" else "<stdin>"
    data = sys.stdin.buffer.read() if name == "<stdin>" else open(file, "rb").read()  # type: ignore[arg-type]
    if not data.strip():
        return
    out = sys.stdout
    for n, line in enumerate(decode(name, data), start=1):
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise DedupError(f"malformed JSON: {exc}", path=name, line=n) from None
            for field in ("title", "abstract", "text"):
                if isinstance(obj.get(field), str):
                    obj[field] = fn(obj[field])
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        else:
            out.write(fn(line) + "\n")


def _exit_usage(message: str) -> None:
    click.echo(f"dedup: {message}", err=True)
    sys.exit(EXIT_USAGE)
