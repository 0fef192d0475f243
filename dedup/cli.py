"""The ``dedup`` command line. Results go to files or stdout; messages and progress to stderr.

Exit codes: 0 success (``check``: nothing to report), 1 ``check`` found problems, 2 usage error or
unreadable input, 3 internal error (a bug), 128 + N killed by signal N (130 Ctrl-C, 143 SIGTERM; nothing
was changed), 141 stdout closed early (``dedup read … | head``; quietly). Heavy modules are imported inside
the commands so ``dedup --help`` starts fast. Help texts are plain text (click shows them verbatim).
"""

from __future__ import annotations

import errno
import functools
import json
import os
import signal
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from . import __version__
from .errors import EXIT_INTERNAL, DedupError, Interrupted, OutputError, location, printable

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
        except KeyboardInterrupt as exc:
            signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
            if isinstance(exc, Interrupted) and exc.committed:
                click.echo(f"dedup: {signal.Signals(signum).name} after the outputs were written; they are "
                           "complete", err=True)
            else:
                click.echo(f"dedup: interrupted ({signal.Signals(signum).name}); no output was changed", err=True)
            sys.exit(128 + signum)
        except BrokenPipeError:
            _quiet_broken_pipe()
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EMFILE,
                             errno.ENAMETOOLONG):
                report_error(OutputError(f"{exc.strerror or exc}; no output was changed", path=exc.filename,
                                         hint="check the paths, permissions and free space, and run again"))
                sys.exit(OutputError.exit_code)
            _internal(exc)
        except Exception as exc:  # a bug: say so plainly, keep the traceback one variable away
            _internal(exc)

    return wrapper  # type: ignore[return-value]


def _quiet_broken_pipe() -> None:
    """The reader of stdout went away (``| head``): stop quietly, like ``cat`` would (exit 141)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.exit(128 + signal.SIGPIPE)


def _internal(exc: BaseException) -> None:
    if os.environ.get("DEDUP_DEBUG"):
        raise exc
    click.echo(f"dedup: internal error: {type(exc).__name__}: {exc}", err=True)
    click.echo("  hint: no output was changed; re-run with DEDUP_DEBUG=1 for the traceback and "
               "report it", err=True)
    sys.exit(EXIT_INTERNAL)


def warn_rejects(rejects: list[Any], quiet: bool = False, limit: int = 20) -> None:
    """Record-level problems: reported on stderr (a few, then a count), never dropped silently."""
    if not rejects:
        return
    for r in rejects[:limit]:
        click.echo(f"dedup: warning: {printable(r.format())}", err=True)
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

    Rejected records are reported on stderr as path:line: reason.
    """
    from .read import read_paths

    results = read_paths(list(inputs))
    out = sys.stdout
    rejects = []
    for res in results:
        for rec in res.records:
            out.write(jsonl_line(rec.to_dict()))
        rejects.extend(res.rejects)
    out.flush()
    warn_rejects(rejects)


@main.command("canonicalize")
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--key", is_flag=True, help="Print the dedup key (for hashing) instead of the clean text.")
@handle_errors
def canonicalize_cmd(file: str | None, key: bool) -> None:
    """Repair scrape artifacts in FILE (stdin when absent), line by line, to stdout.

    Each input line is one text. A line that is a JSON object (a JSON Lines record) has its title,
    abstract and text fields canonicalized and is written back as JSON; any other line, even one that
    starts with "{", is text.
    """
    from .canonical import canonicalize, dedup_key
    from .read import decode

    fn = dedup_key if key else canonicalize
    name = file if file and file != "-" else "<stdin>"
    if name == "<stdin>":
        data = sys.stdin.buffer.read()
    else:
        try:
            with open(name, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise DedupError(f"cannot read: {exc.strerror}", path=name) from None
    out = sys.stdout
    for line in decode(name, data, blank_ok=True):  # line for line: a blank line stays a (blank) line
        obj = _json_object(line)
        if obj is not None:
            for field in ("title", "abstract", "text"):
                if isinstance(obj.get(field), str):
                    obj[field] = fn(obj[field])
            out.write(json.dumps(obj, ensure_ascii=_has_surrogate(obj)) + "\n")
        else:
            out.write(_text_out(fn(line)) + "\n")
    out.flush()


#: Characters that are line breaks to some JSON Lines readers (Python's ``str.splitlines``, JavaScript):
#: written escaped so that one record stays on one line for every reader.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def jsonl_line(obj: Any) -> str:
    """One JSON Lines line (UTF-8, keys sorted, line-break characters escaped).

    >>> jsonl_line({"t": "a\u2028b"})
    '{"t": "a\\\\u2028b"}\\n'
    """
    return json.dumps(obj, ensure_ascii=False, sort_keys=True).translate(_LINE_BREAKS) + "\n"


def _json_object(line: str) -> dict[str, Any] | None:
    """``line`` as a JSON object, or ``None`` when it is text (not JSON, or JSON but not an object)."""
    if not line.lstrip().startswith("{"):
        return None
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def _has_surrogate(obj: Any) -> bool:
    """Whether a JSON value holds a lone surrogate (``"\\ud800"`` is valid JSON but no UTF-8): such
    records are written back with ASCII escapes, as they came."""
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _text_out(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if not text.isascii() else text


def _config(threshold: float, num_perm: int, ngram: int, workers: int | None, engine: str) -> Any:
    """The run's :class:`~dedup.config.Config`; its validation (exit code 2, the option named) runs before
    any input is read."""
    from .config import Config

    return Config(threshold=threshold, num_perm=num_perm, ngram=ngram, workers=workers, engine=engine)


#: Above this share of rejected records a run warns loudly (the input is probably not what it seems).
LOUD_REJECTS = 0.5


@main.command("run")
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The corpus to write (JSON Lines).")
@click.option("--report", type=click.Path(dir_okay=False), default=None,
              help="Report path (default: beside the corpus, CORPUS.report.json and .html).")
@click.option("--threshold", type=float, default=0.8, show_default=True,
              help="Jaccard similarity of abstracts above which copies merge.")
@click.option("--num-perm", type=int, default=128, show_default=True, help="MinHash permutations.")
@click.option("--ngram", type=int, default=5, show_default=True, help="Word n-gram size of shingles.")
@click.option("--workers", type=int, default=None, help="Worker processes (default: all cores).")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: multiprocessing; ray: a Ray cluster (pip install 'dedup[ray]').")
@click.option("--skip-unreadable", is_flag=True,
              help="Go on when an input file or folder cannot be read (binary, not UTF-8, unknown layout, no "
                   "permission): list it on stderr and in the report as a rejected file. Without it such a "
                   "file stops the run (exit 2).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or summary (warnings still show).")
@click.option("--index", "index", type=click.Path(dir_okay=False), default=None,
              help="A persistent index (SQLite): read only the dumps it does not hold; the corpus covers every "
                   "dump it has seen plus INPUTS. Created when absent.")
@handle_errors
def run_cmd(inputs: tuple[str, ...], output: str, report: str | None, threshold: float, num_perm: int,
            ngram: int, workers: int | None, engine: str, skip_unreadable: bool, quiet: bool,
            index: str | None) -> None:
    """Deduplicate the dumps in INPUTS into one canonical corpus, with a provenance report.

    The report goes beside the corpus (CORPUS.report.json and CORPUS.report.html, CORPUS without .jsonl)
    unless --report names it: REPORT.json and REPORT.html, with or without the extension given. Timings go
    to REPORT.timings.json. All of them are replaced together at the end, or none is.
    """
    from .pipeline import run

    config = _config(threshold, num_perm, ngram, workers, engine)
    result = run(list(inputs), output, report=report, config=config, quiet=quiet, skip_unreadable=skip_unreadable,
                 index=index)
    rejects = result.report["rejects"]
    for r in rejects[:20]:
        click.echo(f"dedup: warning: {location(r['file'], r['line'])}: {printable(r['reason'])}", err=True)
    if len(rejects) > 20:
        click.echo(f"dedup: warning: … and {len(rejects) - 20} more rejected records (see the report)", err=True)
    total = result.records_in + result.rejected
    if total and result.rejected > LOUD_REJECTS * total:
        click.echo(f"dedup: WARNING: {result.rejected} of {total} input records ({result.rejected / total:.0%}) "
                   "were REJECTED; the corpus holds only the rest", err=True)
        click.echo("  hint: are these dumps in a known layout? see the rejects in the report and "
                   "'dedup read INPUT' for what the reader makes of them", err=True)
    if result.unreadable:
        click.echo(f"dedup: warning: {len(result.unreadable)} unreadable input(s) skipped and listed in the "
                   "report's rejects", err=True)
    if not quiet:
        t = result.timings.get("total", 0.0)
        rate = result.records_in / t if t else 0.0
        click.echo(f"dedup: {result.records_in} records -> {result.papers} papers "
                   f"({result.records_in - result.papers} merged, {result.rejected} rejected) "
                   f"in {t:.1f}s ({rate:,.0f} records/s)", err=True)
        click.echo(f"dedup: wrote {result.corpus}, {result.report_json}, {result.report_html}", err=True)


@main.command("check")
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--against", type=click.Path(dir_okay=False), default=None,
              help="A corpus written by 'dedup run': records already in it are reported with their id.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="Findings as text, JSON, or GitHub workflow commands.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "notice"]), default="warning",
              show_default=True, help="Exit 1 when a finding at this level or above is found.")
@click.option("--skip-unreadable", is_flag=True,
              help="Report an input that cannot be read as an error finding and go on (default: exit 2).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.option("--index", "index", type=click.Path(dir_okay=False), default=None,
              help="An index written by 'dedup run --index': records already in its corpus are reported with "
                   "their id and evidence, without reading the corpus.")
@handle_errors
def check_cmd(inputs: tuple[str, ...], against: str | None, fmt: str, fail_on: str, skip_unreadable: bool,
              quiet: bool, index: str | None) -> None:
    """Check new dumps in CI: rejected records, uncertain splits, truncations, repeats (exit 1 on problems).

    Findings go to stdout; exit 0 when none reaches --fail-on, 1 when one does, 2 when an input cannot be
    read.
    """
    from .check import check, fails, format_findings
    from .config import Config

    if index and against:
        raise click.UsageError("use --against or --index, not both")
    findings, summary = check(list(inputs), against, Config(), quiet=quiet, skip_unreadable=skip_unreadable,
                              index=index)
    text = format_findings(findings, summary, fmt)
    if text:
        click.echo(text)
    sys.exit(1 if fails(findings, fail_on) else 0)


@main.command("explain")
@click.argument("corpus", type=click.Path(dir_okay=False, exists=True))
@click.argument("paper_id")
@click.option("--report", type=click.Path(dir_okay=False), default=None,
              help="The run's JSON report (default: beside the corpus).")
@handle_errors
def explain_cmd(corpus: str, paper_id: str, report: str | None) -> None:
    """Print one paper's cluster from the report: its copies, what joined them and which copy won."""
    from .explain import explain
    from .report import report_paths

    json_path, _ = report_paths(corpus, report)
    try:
        with open(json_path, encoding="utf-8") as fh:
            rep = json.load(fh)
    except FileNotFoundError:
        raise DedupError("no report beside the corpus", path=json_path,
                         hint="pass --report PATH, or re-run 'dedup run'") from None
    record = None
    with open(corpus, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if paper_id not in line:
                continue
            try:
                obj = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if isinstance(obj, dict) and obj.get("id") == paper_id:
                record = obj
                break
    try:
        click.echo(explain(rep, paper_id, record))
    except KeyError as exc:
        raise DedupError(str(exc.args[0]) if exc.args else f"no paper {paper_id}", path=corpus,
                         hint="ids are the 'id' field of the corpus lines") from None
