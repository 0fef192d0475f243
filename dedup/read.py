"""Read stage: input paths -> files -> decoded lines -> raw records with provenance.

File-level problems (missing, binary, not UTF-8, empty, no known layout) raise :class:`InputError`
(exit code 2) naming the file and line. Record-level problems in an otherwise good file become
:class:`Reject` entries: reported and counted, never silently dropped.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .errors import InputError, printable
from .layouts import PARSERS, KnownTitles, detect_layout, parse_jsonl, parse_oneline
from .records import RawRecord, Reject

LAYOUTS = tuple(sorted(PARSERS))

#: A record whose title and abstract together are longer than this (characters) is rejected before any
#: repair: no paper listing is that long, and repairing and signing it would take memory in proportion.
MAX_RECORD_CHARS = 1_000_000
#: A JSON Lines line longer than this (characters) is rejected unparsed.
MAX_JSONL_LINE = 2 * MAX_RECORD_CHARS

SKIP_HINT = "fix it, or pass --skip-unreadable to list unreadable files and go on without them"


def display_path(path: str) -> str:
    """The one spelling of an input path used in provenance, messages and the report: normalised, and
    relative to the current folder when inside it, absolute otherwise. ``./seeds``, ``seeds/`` and the
    absolute path of ``seeds`` give the same string.

    >>> display_path("./seeds/") == display_path("seeds") == display_path(os.path.abspath("seeds"))
    True
    >>> display_path("/no/such/../folder")
    '/no/folder'
    """
    ab = os.path.abspath(path)
    try:
        cwd = os.getcwd()
    except OSError:  # the current folder was removed
        return ab
    if ab == cwd:
        return "."
    prefix = cwd.rstrip("/") + "/"
    return ab[len(prefix):] if ab.startswith(prefix) else ab


def _utf8_name(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def dedup_output_kind(path: str) -> str | None:
    """``"corpus"``, ``"report"`` or ``"timings"`` when ``path`` is a file an earlier ``dedup run`` wrote
    (recognised by its content, whatever its name), else ``None``."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
            if head.startswith(b'{"id": "'):
                while b"\n" not in head and len(head) < 1 << 24:
                    more = fh.read(1 << 20)
                    if not more:
                        break
                    head += more
    except OSError:
        return None
    if head.startswith(b'{"schema": "dedup-report/'):
        return "report"
    if head.startswith(b"<!DOCTYPE html>") and b"<title>dedup report" in head[:8192]:
        return "report"
    if head.startswith(b'{"id": "'):
        text = head.split(b"\n", 1)[0]  # the first corpus record
    elif head.startswith((b'{\n "engine"', b'{"engine"')) and len(head) < 1 << 16:
        text = head  # the whole timings sidecar
    else:
        return None
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    if isinstance(obj, dict) and {"id", "text", "sources", "repairs", "quality"} <= obj.keys():
        return "corpus"
    if isinstance(obj, dict) and set(obj) == {"engine", "workers", "seconds"}:
        return "timings"
    return None


@dataclass
class Scan:
    """The files under the inputs, and what was left out: ``skipped`` (not dumps: FIFOs, devices, outputs
    of earlier runs; a notice each) and ``unreadable`` (with ``skip_unreadable``: files and folders that
    could not be read; the run lists them as rejected files)."""

    files: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    unreadable: list[InputError] = field(default_factory=list)
    ids: dict[str, tuple[int, int]] = field(default_factory=dict)


def scan_inputs(inputs: Sequence[str], skip_unreadable: bool = False) -> Scan:
    """Expand files and folders (recursively, sorted, hidden entries skipped) into dump files.

    Each file is read once however it was named (``seeds`` and ``./seeds/``, a folder and a file in it, a
    symlink and its target: files are told apart by device and inode) and its path is
    :func:`display_path`. Inside folders, anything that is not a regular file (FIFO, device, socket, a
    symlink to one) and the outputs of earlier runs are skipped with a notice, never opened. A folder or
    file that cannot be read (or whose name is not UTF-8) raises :class:`InputError` (exit code 2), or with
    ``skip_unreadable`` goes to ``unreadable``. Named on the command line, a missing path, a non-regular
    file or a dedup output is always an error.
    """
    if not inputs:
        raise InputError("no input given", hint="name one or more dump files or folders")
    scan = Scan()
    by_id: dict[tuple[int, int], str] = {}

    def problem(err: InputError) -> None:
        if not skip_unreadable:
            raise err
        scan.unreadable.append(err)

    def add(shown: str, st: os.stat_result) -> None:
        key = (st.st_dev, st.st_ino)
        if key not in by_id or shown < by_id[key]:
            by_id[key] = shown

    for item in inputs:
        shown = display_path(item)
        if not _utf8_name(item):
            raise InputError("file name is not valid UTF-8", path=printable(shown),
                             hint="rename it (e.g. with convmv) so that its name is UTF-8")
        try:
            st = os.stat(item)
        except FileNotFoundError:
            raise InputError("no such file or folder", path=shown, hint="check the path") from None
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", path=shown, hint="check the path") from None
        if stat.S_ISDIR(st.st_mode):
            if not _walk(shown, scan, add, problem):
                raise InputError("folder holds no files", path=shown, hint="point at a folder of dumps")
        elif stat.S_ISREG(st.st_mode):
            kind = dedup_output_kind(item)
            if kind:
                raise InputError(f"this is a dedup {kind} (written by 'dedup run'), not a dump", path=shown,
                                 hint="name the dumps the corpus was made from, or use 'dedup check --against'")
            add(shown, st)
        else:
            raise InputError("not a regular file or folder (a FIFO, device or socket); dedup reads files only",
                             path=shown, hint="name dump files or folders of them")
    scan.files = sorted(by_id.values())
    scan.ids = {v: k for k, v in by_id.items()}
    if not scan.files and not scan.unreadable:
        raise InputError("no dump files found", path=display_path(inputs[0]),
                         hint="every file was skipped (see the notices above)")
    return scan


def _walk(top: str, scan: Scan, add: Callable[[str, os.stat_result], None],
          problem: Callable[[InputError], None]) -> int:
    """Depth-first over ``top`` without recursion (folders nested thousands deep are fine); the number of
    entries seen."""
    seen = 0
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            seen += 1
            problem(InputError(f"cannot read folder: {exc.strerror}", path=printable(folder),
                               hint=SKIP_HINT))
            continue
        subfolders = []
        for e in entries:
            if e.name.startswith("."):
                continue
            seen += 1
            path = e.name if folder == "." else os.path.join(folder, e.name)  # "a.txt", not "./a.txt"
            if not _utf8_name(path):
                problem(InputError("file name is not valid UTF-8", path=printable(path),
                                   hint="rename it (e.g. with convmv) so that its name is UTF-8"))
                continue
            try:
                if e.is_dir(follow_symlinks=False):
                    subfolders.append(path)
                    continue
                st = os.stat(path)
            except OSError as exc:
                problem(InputError(f"cannot read: {exc.strerror}", path=path, hint=SKIP_HINT))
                continue
            if stat.S_ISDIR(st.st_mode):
                scan.skipped.append((path, "a symlink to a folder (not followed)"))
            elif not stat.S_ISREG(st.st_mode):
                scan.skipped.append((path, "not a regular file (a FIFO, device or socket): never read"))
            elif (kind := dedup_output_kind(path)) is not None:
                scan.skipped.append((path, f"a dedup {kind} written by an earlier run, not a dump"))
            else:
                add(path, st)
        stack.extend(reversed(subfolders))
    return seen


def print_skipped(scan: Scan) -> None:
    """The notices of a scan, on stderr (shown even with ``--quiet``: an input was left out)."""
    for path, why in scan.skipped:
        sys.stderr.write(f"dedup: notice: {printable(path)}: skipped: {why}\n")
    for err in scan.unreadable:
        sys.stderr.write(f"dedup: warning: {err.format()} (skipped: --skip-unreadable)\n")


def find_files(inputs: Sequence[str]) -> list[str]:
    """The dump files under ``inputs`` (see :func:`scan_inputs`), sorted, each once."""
    return scan_inputs(inputs).files


_BOM = "\ufeff".encode("utf-8")


def decode(path: str, data: bytes, *, blank_ok: bool = False) -> list[str]:
    """Bytes of a dump -> lines (no line endings). UTF-8 with or without BOM; LF or CRLF.

    A dump with no text on any line is an error (an empty scrape), unless `blank_ok` (a line filter).

    >>> decode("a.txt", b"\\xef\\xbb\\xbfTitle\\r\\nAbstract\\r\\n")
    ['Title', 'Abstract']
    >>> decode("a.txt", b"ok\\n\\xff\\n")
    Traceback (most recent call last):
    ...
    dedup.errors.InputError: a.txt:2: not valid UTF-8 (byte 0xff at column 1)
    """
    if _looks_utf16(data):
        raise InputError("UTF-16 text; dumps are UTF-8", path=path, line=1,
                         hint="convert it to UTF-8, e.g. iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError("binary file (NUL byte); dumps are UTF-8 text", path=path,
                         line=data.count(b"\n", 0, nul) + 1, hint="is this the right file?")
    # Split the bytes, then decode line by line (no UTF-8 sequence holds a 0x0A byte, so this accepts
    # exactly what decoding the whole file does): one character beyond U+FFFF would make a whole-file
    # string four bytes a character, ~9x the file's size at the peak; each line is stored on its own.
    raw = data.split(b"\n")
    if raw[0].startswith(_BOM):
        raw[0] = raw[0][len(_BOM):]
    if raw[-1] == b"":
        raw.pop()
    lines: list[str] = []
    for i, chunk in enumerate(raw):
        try:
            ln = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"not valid UTF-8 (byte 0x{chunk[exc.start]:02x} at column {exc.start + 1})",
                             path=path, line=i + 1, hint="re-encode the file as UTF-8 (e.g. iconv -t UTF-8)") from None
        lines.append(ln[:-1] if ln.endswith("\r") else ln)
    if not blank_ok and not any(ln.strip() for ln in lines):
        raise InputError("empty file", path=path, hint="remove it or re-scrape the page")
    return lines


def _looks_utf16(data: bytes) -> bool:
    """A UTF-16 byte-order mark, or (without one) text whose every other byte is NUL.

    >>> _looks_utf16("Title".encode("utf-16")), _looks_utf16("Title\\n".encode("utf-16-le"))
    (True, True)
    >>> _looks_utf16(b"Title\\n\\x00")
    False
    """
    bom = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    head = data[2:4098] if bom else data[:4096]
    if len(head) < 4:
        return bom
    # mostly Latin text: one byte of each pair is NUL (a BOM makes a third of them enough: accents, CJK)
    even, odd = head[0::2], head[1::2]
    share = 0.3 if bom else 0.9
    return any(zeros.count(0) >= share * len(zeros) and other.count(0) == 0
               for zeros, other in ((even, odd), (odd, even)))


def detect(lines: Sequence[str]) -> str | None:
    """The layout of a file's lines (:func:`dedup.layouts.detect_layout`), judging JSON Lines by content:
    a text dump whose first title happens to start with ``{`` is still a text dump. A file is JSON Lines
    when one of its first lines that start with ``{`` parses as a JSON object, or when it is no text layout
    either (then its malformed lines are rejects, named by line).

    >>> abstract = "We present a method that works. It is simple, fast, and beats every baseline we tried."
    >>> detect(["{Title} in braces", "", abstract, "", "Another Title", "", abstract, ""])
    'cards'
    >>> detect(['{"title": "T", "abstract": "A"}'])
    'jsonl'
    """
    layout = detect_layout(lines)
    if layout != "jsonl":
        return layout
    tried = 0
    for line in lines:
        s = line.strip()
        if not s.startswith("{"):
            continue
        try:
            if isinstance(json.loads(s), dict):
                return "jsonl"
        except (ValueError, RecursionError):
            pass
        tried += 1
        if tried >= 10:
            break
    # no JSON object among the lines that start with "{": judge the text without the leading braces
    # (a word joiner in front, which the text layouts do not look at)
    as_text = detect_layout([("\u2060" + ln) if ln.lstrip().startswith("{") else ln for ln in lines])
    return as_text or "jsonl"


@dataclass
class FileResult:
    """What the reader made of one file."""

    path: str
    layout: str
    records: list[RawRecord] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def read_lines(path: str) -> tuple[str, list[str]]:
    """Read, decode and detect the layout of one file: ``(layout, lines)``."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    lines = decode(path, data)
    layout = detect(lines)
    if layout is None:
        first = next((i for i, ln in enumerate(lines) if ln.strip()), 0)
        raise InputError(
            f"not a known dump layout (known: {', '.join(LAYOUTS)})", path=path, line=first + 1,
            hint="see README 'Input layouts'; JSON Lines needs 'title' and 'abstract' fields")
    return layout, lines


def sniff_layout(path: str, size: int = 1 << 16) -> str | None:
    """The layout of a file judged from its first ``size`` bytes (cheap; :func:`read_file` decides)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(size)
    except OSError:
        return None
    text = head.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
    lines = text.split("\n")
    return detect(lines[:-1] if len(head) == size and len(lines) > 1 else lines)


def read_file(path: str, known_titles: KnownTitles | Iterable[str] = ()) -> FileResult:
    """Read one dump file into raw records and rejects.

    ``known_titles`` (titles from other dumps) helps split one-line records.
    """
    layout, lines = read_lines(path)
    records, rejects = parse_segment(path, layout, lines, 0, known_titles)
    return check_records(FileResult(path, layout, records, rejects))


#: Layouts whose records are one line each: a big file of them is cut into chunks of lines that are parsed
#: on their own (in workers); the others are parsed whole.
LINE_LAYOUTS = frozenset({"jsonl", "oneline"})


def parse_segment(path: str, layout: str, lines: list[str], start: int = 0,
                  known_titles: KnownTitles | Iterable[str] = ()) -> tuple[list[RawRecord], list[Reject]]:
    """Parse ``lines`` of a file (``lines[0]`` is its line ``start + 1``): the whole file, or for the
    :data:`LINE_LAYOUTS` any run of its lines. Too-long lines and records become rejects; the rejects come
    in line order (at most one per line), so the chunks of a file concatenated are the whole file parsed."""
    too_long: list[Reject] = []
    if layout == "jsonl":  # refused before parsing: a huge line would be split into millions of words
        for i, line in enumerate(lines):
            if len(line) > MAX_JSONL_LINE:
                too_long.append(Reject(path, start + i + 1, f"record too long (a line of {len(line):,} characters; "
                                                            f"the limit is {MAX_JSONL_LINE:,})", line[:80]))
                lines[i] = ""
    if layout == "oneline":
        records, rejects = parse_oneline(path, lines, known_titles, start)
    elif layout == "jsonl":
        records, rejects = parse_jsonl(path, lines, start)
    elif start:
        raise ValueError(f"a {layout} file is parsed whole")
    else:
        records, rejects = PARSERS[layout](path, lines)
    if any(len(r.title) + len(r.abstract) > MAX_RECORD_CHARS for r in records):
        long = [r for r in records if len(r.title) + len(r.abstract) > MAX_RECORD_CHARS]
        records = [r for r in records if len(r.title) + len(r.abstract) <= MAX_RECORD_CHARS]
        too_long += [Reject(path, r.source.line, f"record too long ({len(r.title) + len(r.abstract):,} characters;"
                            f" the limit is {MAX_RECORD_CHARS:,})", r.title[:80]) for r in long]
    if too_long:
        rejects = sorted([*rejects, *too_long])
    return records, rejects


def check_records(res: FileResult, n: int | None = None) -> FileResult:
    """``res`` when the file had records (``n`` of them, when its records are counted elsewhere), else the
    :class:`InputError` of a file without records."""
    if not (res.records if n is None else n):
        rejects = res.rejects
        where = rejects[0].line if rejects else 1
        raise InputError(f"no records in this {res.layout} file", path=res.path, line=where,
                         hint=rejects[0].reason if rejects else None)
    return res


def read_paths(inputs: Sequence[str]) -> list[FileResult]:
    """Read every file under ``inputs`` (sorted), splitting one-line records with the titles of the other
    dumps as evidence. Raises :class:`InputError` on the first unreadable file.

    """
    scan = scan_inputs(inputs)
    print_skipped(scan)
    files = scan.files
    results: dict[str, FileResult] = {}
    oneline: list[str] = []
    known = KnownTitles()
    for path in files:
        if sniff_layout(path) == "oneline":
            oneline.append(path)
            continue
        res = read_file(path)
        for rec in res.records:
            known.add(rec.title)
        results[path] = res
    for path in oneline:
        results[path] = read_file(path, known)
    return [results[p] for p in files]
