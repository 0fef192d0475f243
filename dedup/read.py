"""Read stage: input paths -> files -> decoded lines -> raw records with provenance.

File-level problems (missing, binary, not UTF-8, empty, no known layout) raise :class:`InputError`
(exit code 2) naming the file and line. Record-level problems in an otherwise good file become
:class:`Reject` entries: reported and counted, never silently dropped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .layouts import PARSERS, KnownTitles, detect_layout, parse_oneline
from .records import RawRecord, Reject

LAYOUTS = tuple(sorted(PARSERS))


def find_files(inputs: Sequence[str]) -> list[str]:
    """Expand files and folders (recursively, sorted, hidden entries skipped) into file paths as given.

    Raises :class:`InputError` for a missing path, or when nothing is found.
    """
    if not inputs:
        raise InputError("no input given", hint="name one or more dump files or folders")
    files: list[str] = []
    for item in inputs:
        if os.path.isdir(item):
            found = sorted(
                os.path.join(root, name)
                for root, dirs, names in os.walk(item)
                for name in names
                if not name.startswith(".")
                and not any(part.startswith(".") for part in Path(os.path.relpath(root, item)).parts
                            if part != ".")
            )
            if not found:
                raise InputError("folder holds no files", path=item, hint="point at a folder of dumps")
            files.extend(found)
        elif os.path.isfile(item):
            files.append(item)
        elif os.path.exists(item):
            raise InputError("not a regular file or folder", path=item)
        else:
            raise InputError("no such file or folder", path=item, hint="check the path")
    # keep the order deterministic and each file once, whatever order the inputs were named in
    return sorted(dict.fromkeys(files))


def decode(path: str, data: bytes) -> list[str]:
    """Bytes of a dump -> lines (no line endings). UTF-8 with or without BOM; LF or CRLF.

    >>> decode("a.txt", b"\\xef\\xbb\\xbfTitle\\r\\nAbstract\\r\\n")
    ['Title', 'Abstract']
    >>> decode("a.txt", b"ok\\n\\xff\\n")
    Traceback (most recent call last):
    ...
    dedup.errors.InputError: a.txt:2: not valid UTF-8 (byte 0xff at column 1)
    """
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError("binary file (NUL byte); dumps are UTF-8 text", path=path,
                         line=data.count(b"\n", 0, nul) + 1, hint="is this the right file?")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {col})", path=path,
                         line=line, hint="re-encode the file as UTF-8 (e.g. iconv -t UTF-8)") from None
    if not text.strip():
        raise InputError("empty file", path=path, hint="remove it or re-scrape the page")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


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
    layout = detect_layout(lines)
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
    return detect_layout(lines[:-1] if len(head) == size and len(lines) > 1 else lines)


def read_file(path: str, known_titles: KnownTitles | Iterable[str] = ()) -> FileResult:
    """Read one dump file into raw records and rejects.

    ``known_titles`` (titles from other dumps) helps split one-line records.
    """
    layout, lines = read_lines(path)
    if layout == "oneline":
        records, rejects = parse_oneline(path, lines, known_titles)
    else:
        records, rejects = PARSERS[layout](path, lines)
    if not records:
        where = rejects[0].line if rejects else 1
        raise InputError(f"no records in this {layout} file", path=path, line=where,
                         hint=rejects[0].reason if rejects else None)
    return FileResult(path, layout, records, rejects)


def read_paths(inputs: Sequence[str]) -> list[FileResult]:
    """Read every file under ``inputs`` (sorted), splitting one-line records with the titles of the other
    dumps as evidence. Raises :class:`InputError` on the first unreadable file.

    """
    files = find_files(inputs)
    results: dict[str, FileResult] = {}
    oneline: list[str] = []
    known = KnownTitles()
    for path in files:
        layout, _ = read_lines(path)
        if layout == "oneline":
            oneline.append(path)
            continue
        res = read_file(path)
        for rec in res.records:
            known.add(rec.title)
        results[path] = res
    for path in oneline:
        results[path] = read_file(path, known)
    return [results[p] for p in files]
