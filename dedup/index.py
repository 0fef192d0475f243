"""A persistent index: what the matcher knows of every record a run has seen, in one SQLite file.

``dedup run NEW... --index PATH`` reads and signs only the dumps the index does not hold (same path, same
bytes); every other dump's per-file stage result (:class:`~dedup.prepare.Prepared`: feature arrays, strings,
clean records, signatures, rejects, repairs) comes back from the index, and the rest of the run is the
ordinary one. The corpus and report are therefore byte-identical to a full run over every dump the index
has seen plus the new ones. ``dedup check NEW... --index PATH`` signs only the new dumps and looks their
records' keys up in the index (LSH band keys, title keys, identifiers), then reads the evidence and decides
only on those candidates: seconds, whatever the corpus size.

Storage (stdlib ``sqlite3``; no pickle anywhere): numpy arrays are ``.npy`` bytes (``np.save(...,
allow_pickle=False)``) in BLOBs, in blocks of :data:`BLOCK` records so that ``check`` reads single rows
through SQLite's incremental blob I/O; everything else is JSON or text.

========  ===========================================================================================
table     holds
========  ===========================================================================================
meta      schema version, the parameters the index was built with (:func:`parameters`), the inputs
          named over all runs, the next record id, the corpus the last run wrote
files     per dump: path (as the run spells it in provenance), size, sha256 of its bytes, layout, first
          record id and count, rejects, repair counts and examples, and for a one-line dump the digest
          of the known-titles set it was split with
blocks    per dump and block of records: feature arrays (one structured ``.npy``), ``sig``, ``pre``
spill     per dump: its clean records (the spill file's bytes), in chunks
recs      per record: its strings (title key, venue, pages, authors, DOI), raw title and its prefix
          (for one-line dumps checked later), and the corpus id the last run gave it
keys      one row per record and key: LSH bands of ``sig`` and ``pre``, abstract key, title key, title
          block keys, DOI, arXiv id (tagged 64-bit hashes), indexed for ``check``
========  ===========================================================================================

Safety: an index of another schema version, built with other parameters (config, rules, library versions,
dedup's code), truncated or corrupt is refused with :class:`~dedup.errors.IndexFileError` (exit 2) naming
what differs; it is never rebuilt silently. A run writes the index in one transaction: rows are written while
the run goes on, the corpus and report are committed, and only then the index (see :meth:`Index.commit`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import signal
import sqlite3
import struct
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .config import Config
from .errors import IndexFileError
from .layouts import KnownTitles
from .prepare import Prepared
from .records import Reject

#: Bumped whenever the tables or what they mean change; an index of another version is refused.
SCHEMA_VERSION = 1
#: Records per stored block of arrays and signatures in a new index (an index records its own: ``meta.block``).
#: Small enough that reading one row in place (``check``) walks a short chain of SQLite pages.
BLOCK = 2048
#: Bytes per stored chunk of clean records (cut at line ends).
SPILL_CHUNK = 32 << 20
#: Index records fetched per key of a checked record (as many as a blocking group joins in full).
MAX_PER_KEY = 64
#: Modules whose code does not change a run's output (the rest is fingerprinted into the parameters).
PRESENTATION = frozenset({"__init__.py", "__main__.py", "cli.py", "check.py", "explain.py", "index.py",
                          "report_html.py", "schema.py", "io.py"})
TABLES = {
    "meta": "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "files": "CREATE TABLE files (file_id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, size INTEGER NOT NULL, "
             "sha256 TEXT NOT NULL, layout TEXT NOT NULL, sniffed TEXT, first_rid INTEGER NOT NULL, "
             "n INTEGER NOT NULL, known_digest TEXT, rejects TEXT NOT NULL, repair_counts TEXT NOT NULL, "
             "repair_examples TEXT NOT NULL)",
    "blocks": "CREATE TABLE blocks (id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, block INTEGER NOT NULL, "
              "arrays BLOB NOT NULL, sig BLOB NOT NULL, pre BLOB NOT NULL, UNIQUE (file_id, block))",
    "spill": "CREATE TABLE spill (file_id INTEGER NOT NULL, chunk INTEGER NOT NULL, data BLOB NOT NULL, "
             "PRIMARY KEY (file_id, chunk))",
    "recs": "CREATE TABLE recs (rid INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, cid TEXT, title TEXT, "
            "tprefix TEXT, title_keys TEXT NOT NULL, venue_keys TEXT NOT NULL, page_keys TEXT NOT NULL, "
            "author_keys TEXT NOT NULL, dois TEXT NOT NULL)",
    "keys": "CREATE TABLE keys (key INTEGER NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (key, rid)) WITHOUT ROWID",
}
INDEXES = ("CREATE INDEX recs_tprefix ON recs (tprefix) WHERE tprefix IS NOT NULL",)
STRING_COLUMNS = ("title_keys", "venue_keys", "page_keys", "author_keys", "dois")

#: Tags that keep one kind of key from meeting another (64-bit constants, fixed forever).
_TAG = {name: (0x9E3779B97F4A7C15 * (i + 1) + 0x632BE59BD9B4E019) % (1 << 64) for i, name in enumerate(
    ("sig", "pre", "akey", "tkey", "first", "last", "doi", "arxiv"))}


# ---------------------------------------------------------------------------------------------- parameters
def code_fingerprint() -> str:
    """sha256 over the source of every module that shapes a run's output (not the CLI or presentation)."""
    here = os.path.dirname(os.path.abspath(__file__))
    h = hashlib.sha256()
    for name in sorted(os.listdir(here)):
        if (name.endswith(".py") or name.endswith(".json")) and name not in PRESENTATION:
            with open(os.path.join(here, name), "rb") as fh:
                h.update(name.encode() + b"\0" + fh.read() + b"\0")
    return h.hexdigest()


def parameters(config: Config) -> dict[str, Any]:
    """Everything that changes what the index holds: the config fields that change output, the rules,
    signals, feature and spill layouts, the constants of the per-file stage, dedup's version and code, and
    the versions of the libraries that change output."""
    import unicodedata
    from importlib import metadata

    from . import __version__, prepare
    from .decide import RULES
    from .features import ARRAYS, STRINGS
    from .signals import SIGNALS

    bands, rows = config.band_split()
    cfg = {k: v for k, v in config.to_dict().items() if k not in ("workers", "engine")}
    cfg.update(bands=bands, rows=rows)
    libs = {}
    for lib in ("ftfy", "pylatexenc", "numpy", "xxhash", "rapidfuzz"):
        try:
            libs[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            libs[lib] = "absent"
    return {
        "config": cfg,
        "rules": [f"{r.name}:{r.outcome}" for r in RULES],
        "signals": sorted(SIGNALS),
        "arrays": {k: np.dtype(v).str for k, v in ARRAYS.items()},
        "strings": list(STRINGS),
        "spill_fields": list(prepare.SPILL_FIELDS),
        "prepare": {k: getattr(prepare, k) for k in ("PREFIX_WORDS", "OPENING_WORDS", "PREFIX_PERM", "SPLIT_CONFIDENCE",
                                                      "SHORT_ABSTRACT", "REPAIR_EXAMPLES")},
        "versions": {"dedup": __version__, "code": code_fingerprint(), "unicode": unicodedata.unidata_version,
                     **libs},
    }


def _flat(d: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(d, dict):
        out: dict[str, Any] = {}
        for k, v in d.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: d}


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    a, b = _flat(old), _flat(new)
    return [f"{k}: index {a.get(k, 'absent')!r}, now {b.get(k, 'absent')!r}"
            for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


# ---------------------------------------------------------------------------------------------- helpers
def file_digest(path: str) -> tuple[int, str]:
    """Size and sha256 of a file's bytes."""
    h = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
                size += len(chunk)
    except OSError as exc:
        from .errors import InputError

        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    return size, h.hexdigest()


def titles_digest(titles: Iterable[str]) -> str:
    """Digest of a known-titles set as :class:`~dedup.layouts.KnownTitles` sees it (folded, two words or
    more, order and repeats ignored): a one-line dump split with a set of the same digest splits the same.

    >>> titles_digest(["A  Survey", "a survey", "x"]) == titles_digest(["a survey"])
    True
    """
    folded = {" ".join(t.split()).casefold() for t in titles}
    h = hashlib.sha256()
    for t in sorted(f for f in folded if len(f.split()) >= KnownTitles.PREFIX):
        h.update(t.encode("utf-8") + b"\n")
    return h.hexdigest()


def title_prefix(title: str) -> str | None:
    """The first words of a folded title, as :class:`~dedup.layouts.KnownTitles` looks titles up."""
    words = " ".join(title.split()).casefold().split()
    return " ".join(words[: KnownTitles.PREFIX]) if len(words) >= KnownTitles.PREFIX else None


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def _from_npy(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


def _structured(arrays: dict[str, np.ndarray]) -> np.ndarray:
    from .features import ARRAYS

    out = np.zeros(len(arrays["lines"]), dtype=[(k, np.dtype(v)) for k, v in ARRAYS.items()])
    for k in ARRAYS:
        out[k] = arrays[k]
    return out


def _fmix(h: np.ndarray) -> np.ndarray:
    h = h.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xFF51AFD7ED558CCD)
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xC4CEB9FE1A85EC53)
        h ^= h >> np.uint64(33)
    return h


def _tagged(values: np.ndarray, tag: str) -> np.ndarray:
    return _fmix(values.astype(np.uint64) ^ np.uint64(_TAG[tag])).view(np.int64)


def record_keys(arrays: dict[str, np.ndarray], strings: dict[str, list[str]], sig: np.ndarray, pre: np.ndarray,
                config: Config) -> tuple[np.ndarray, np.ndarray]:
    """The lookup keys of records: ``(keys, record)``, int64 each, one row per record and key.

    The same keys the candidate signals block on (:mod:`dedup.signals`): every LSH band of the abstract's
    ``sig`` and ``pre`` signatures and its exact key (real abstracts only), the title key, the title's
    first and last words, DOI and arXiv id."""
    from .abstracts import KINDS
    from .lsh import _band_hash
    from .signals import _block_keys

    n = len(arrays["lines"])
    eligible = (arrays["akey"] != 0) & np.isin(arrays["kind"], [KINDS.index("abstract"), KINDS.index("short")])
    ok = np.flatnonzero(eligible)
    keys: list[np.ndarray] = []
    recs: list[np.ndarray] = []

    def add(values: np.ndarray, idx: np.ndarray, tag: str) -> None:
        nz = values != 0
        keys.append(_tagged(values[nz], tag))
        recs.append(idx[nz].astype(np.int64))

    allidx = np.arange(n, dtype=np.int64)
    if len(ok):
        bands, rows = config.band_split()
        s = np.asarray(sig[ok])
        for b in range(bands):
            add(_band_hash(s, b * rows, (b + 1) * rows, None) ^ np.uint64(b + 1), ok, "sig")
        p = np.asarray(pre[ok])
        pr = p.shape[1] // 8
        for b in range(8):
            add(_band_hash(p, b * pr, (b + 1) * pr, None) ^ np.uint64(b + 1), ok, "pre")
        add(arrays["akey"][ok], ok, "akey")
    add(arrays["tkey"], allidx, "tkey")
    add(_block_keys(strings["title_keys"], True), allidx, "first")
    add(_block_keys(strings["title_keys"], False), allidx, "last")
    add(arrays["doi"], allidx, "doi")
    add(arrays["arxiv"], allidx, "arxiv")
    return np.concatenate(keys), np.concatenate(recs)


def _test_point(name: str) -> None:
    """Crash here when ``DEDUP_TEST_KILL_AT`` names this point (the tests' window into a killed run)."""
    if os.environ.get("DEDUP_TEST_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


# ---------------------------------------------------------------------------------------------- the index
class Index:
    """An open index. ``create`` makes a new one when ``path`` does not exist (``run``); otherwise a missing
    file is an error (``check``). Use it as a context manager; writes stay in one open transaction until
    :meth:`commit`, and are rolled back on close otherwise."""

    def __init__(self, path: str, config: Config | None = None, *, create: bool = False,
                 verify: bool = True, lock: bool = False) -> None:
        self.path = path
        exists = os.path.exists(path)
        if not exists and not create:
            raise IndexFileError("no such index", path=path,
                                 hint="build it with 'dedup run DUMPS... --index PATH -o corpus.jsonl'")
        if exists and not os.path.isfile(path):
            raise IndexFileError("not a regular file", path=path)
        if exists and os.path.getsize(path) == 0:
            raise IndexFileError("not a dedup index: the file is empty (truncated?)", path=path,
                                 hint="restore it, or build a new index at another path")
        if exists:
            with open(path, "rb") as fh:
                if fh.read(16) != b"SQLite format 3\0":
                    raise IndexFileError("not a dedup index (not an SQLite file)", path=path,
                                         hint="point --index at a file written by 'dedup run --index'")
        # a new index is built in a temp file beside ``path`` and moved into place when its first run commits
        self._db_path = path
        if not exists:
            fd, self._db_path = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                                                 dir=os.path.dirname(os.path.abspath(path)))
            os.close(fd)
        self._created = not exists
        self._in_tx = False
        self._first_rid: dict[str, int] = {}
        self._named: dict[str, tuple[int, str]] = {}
        self._known_src: object = None
        self._known_digest = ""
        self._headers: dict[tuple[int, str], tuple[int, int, tuple[int, ...], np.dtype[Any]]] = {}
        self._blobs: dict[tuple[int, str], sqlite3.Blob] = {}
        try:
            self.db = sqlite3.connect(self._db_path, isolation_level=None, timeout=30.0)
        except sqlite3.Error as exc:
            raise IndexFileError(f"cannot open the index: {exc}", path=path) from None
        try:
            self.db.execute("PRAGMA cache_size=-65536")
            if lock:  # a writer: take the write lock before reading what the index holds
                self._begin()
            if exists:
                self.params = self._validate(config, verify)
            else:
                assert config is not None
                self.params = parameters(config)
                self._create()
            self.files: dict[str, dict[str, Any]] = {
                r[0]: {"file_id": r[1], "size": r[2], "sha256": r[3], "layout": r[4], "sniffed": r[5],
                       "first_rid": r[6], "n": r[7], "known_digest": r[8]}
                for r in self.db.execute("SELECT path, file_id, size, sha256, layout, sniffed, first_rid, n, "
                                         "known_digest FROM files")}
        except sqlite3.DatabaseError as exc:
            self.close()
            raise _db_error(exc, path) from None
        except BaseException:
            self.close()
            raise
        self.config = self._config() if config is None else config
        self.block = int(self._get("block"))

    # -- opening
    def _create(self) -> None:
        self._begin()
        for sql in (*TABLES.values(), *INDEXES):
            self.db.execute(sql)
        self._set("schema_version", SCHEMA_VERSION)
        self._set("parameters", self.params)
        self._set("inputs", [])
        self._set("next_rid", 0)
        self._set("block", BLOCK)
        # the new file's tables are committed with the run's data, or not at all

    def _validate(self, config: Config | None, verify: bool) -> dict[str, Any]:
        path = self.path
        # (reading the schema first rolls back what a killed run left in a hot journal)
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        self._check_header()
        if "meta" not in tables:
            raise IndexFileError("not a dedup index (no meta table)", path=path,
                                 hint="point --index at a file written by 'dedup run --index'")
        meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        version = json.loads(meta.get("schema_version", "null"))
        if version != SCHEMA_VERSION:
            raise IndexFileError(f"index schema version {version}, this dedup reads version {SCHEMA_VERSION}",
                                 path=path, hint="rebuild the index with this dedup (dedup run ... --index NEW)")
        missing = sorted(set(TABLES) - tables)
        if missing:
            raise IndexFileError(f"corrupt index: missing tables {', '.join(missing)}", path=path,
                                 hint="restore it, or rebuild at another path")
        for name in ("parameters", "inputs", "next_rid", "block"):
            if name not in meta:
                raise IndexFileError(f"corrupt index: no {name} in its meta table", path=path)
        if verify:
            got = [r[0] for r in self.db.execute("PRAGMA quick_check")]
            if got != ["ok"]:
                raise IndexFileError(f"corrupt index: integrity check failed ({'; '.join(got[:3])})", path=path,
                                     hint="restore it, or rebuild at another path")
        stored = json.loads(meta["parameters"])
        now = parameters(config if config is not None else Config(**_config_fields(stored)))
        diff = _differences(stored, now)
        if diff:
            raise IndexFileError("index built with other parameters: " + "; ".join(diff[:6]) +
                                 (f" (and {len(diff) - 6} more)" if len(diff) > 6 else ""), path=path,
                                 hint="run with the parameters it was built with, or build a new index "
                                      "(dedup run ALL-DUMPS... --index NEW)")
        return stored

    def _check_header(self) -> None:
        """A file cut short: the SQLite header's page count times the page size is more than the file."""
        with open(self._db_path, "rb") as fh:
            head = fh.read(100)
        if len(head) < 100 or not head.startswith(b"SQLite format 3\0"):
            raise IndexFileError("not a dedup index (not an SQLite file)", path=self.path)
        page = struct.unpack(">H", head[16:18])[0]
        page = 65536 if page == 1 else page
        count = struct.unpack(">I", head[28:32])[0]
        valid = head[24:28] == head[92:96]
        size = os.path.getsize(self._db_path)
        if valid and size < page * count:
            raise IndexFileError(f"truncated index: {size} bytes, its header says {page * count}", path=self.path,
                                 hint="restore it, or rebuild at another path")

    def _config(self) -> Config:
        return Config(**_config_fields(self.params))

    def _set(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def _get(self, key: str) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def _begin(self) -> None:
        if not self._in_tx:
            self.db.execute("BEGIN IMMEDIATE")
            self._in_tx = True

    def close(self) -> None:
        if self._in_tx:
            self.db.execute("ROLLBACK")
            self._in_tx = False
        self.db.close()
        if self._created:  # a new index whose first run failed: leave nothing behind
            for name in (self._db_path, self._db_path + "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name)

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- run: which files, from where
    def plan(self, inputs: Sequence[str], files: Sequence[str]) -> tuple[list[str], list[str]]:
        """The inputs and files of the equivalent full run: what the index has seen plus ``files`` (the files
        named now, each hashed to tell whether the index holds it unchanged), sorted as a full run sorts."""
        mine = {os.path.abspath(self.path), os.path.abspath(self._db_path)}
        for f in files:
            if os.path.abspath(f) in mine:
                from .errors import UsageError

                raise UsageError(f"the index {self.path} is also an input", hint="keep the index outside the "
                                 "input folders")
            self._named[f] = file_digest(f)
        seen = self._get("inputs") or []
        return sorted(set(seen) | set(inputs)), sorted(set(self.files) | set(files))

    def _unchanged(self, path: str) -> bool:
        got = self.files.get(path)
        if got is None:
            return False
        named = self._named.get(path)
        return named is None or (got["size"], got["sha256"]) == named

    def layout(self, path: str) -> str | None:
        """The layout as :func:`~dedup.read.sniff_layout` judged it, from the index for a dump it holds."""
        from .read import sniff_layout

        return self.files[path]["sniffed"] if self._unchanged(path) else sniff_layout(path)

    def restore(self, path: str, spill: str, known: list[str] | None = None) -> Prepared | None:
        """The stage result of a dump the index holds unchanged (for a one-line dump: split with the same
        known titles, ``known``), its clean records written to ``spill``; ``None`` when it must be read."""
        if not self._unchanged(path):
            return None
        f = self.files[path]
        if known is not None:
            if known is not self._known_src:
                self._known_src, self._known_digest = known, titles_digest(known)
            if f["known_digest"] != self._known_digest:
                return None
        fid, first, n = f["file_id"], f["first_rid"], f["n"]
        with open(spill, "wb") as out:
            for (data,) in self.db.execute("SELECT data FROM spill WHERE file_id = ? ORDER BY chunk", (fid,)):
                out.write(data)
        blocks = self.db.execute("SELECT arrays, sig, pre FROM blocks WHERE file_id = ? ORDER BY block",
                                 (fid,)).fetchall()
        struct_arr = np.concatenate([_from_npy(b[0]) for b in blocks])
        np.save(f"{spill}.sig.npy", np.concatenate([_from_npy(b[1]) for b in blocks]), allow_pickle=False)
        np.save(f"{spill}.pre.npy", np.concatenate([_from_npy(b[2]) for b in blocks]), allow_pickle=False)
        arrays = {k: np.ascontiguousarray(struct_arr[k]) for k in struct_arr.dtype.names or ()}
        rows = self.db.execute(f"SELECT title, {', '.join(STRING_COLUMNS)} FROM recs WHERE rid BETWEEN ? AND ? "
                               "ORDER BY rid", (first, first + n - 1)).fetchall()
        if len(rows) != n or len(struct_arr) != n:
            raise IndexFileError(f"corrupt index: {path} should hold {n} records", path=self.path)
        strings = {c: [r[k + 1] for r in rows] for k, c in enumerate(STRING_COLUMNS)}
        titles = [r[0] for r in rows if r[0] is not None]
        meta = self.db.execute("SELECT layout, rejects, repair_counts, repair_examples FROM files WHERE file_id = ?",
                               (fid,)).fetchone()
        rejects = [Reject(**r) for r in json.loads(meta[1])]
        self._first_rid[path] = first
        return Prepared(path=path, layout=meta[0], rejects=rejects, spill=spill, arrays=arrays, strings=strings,
                        titles=titles, repair_counts=Counter(json.loads(meta[2])),
                        repair_examples=json.loads(meta[3]))

    # -- run: writing (one transaction)
    def stage(self, inputs: Sequence[str], parts: Sequence[Prepared]) -> None:
        """Write the dumps read in this run (and drop what the index held for them), in the open transaction.
        Call before :func:`~dedup.pipeline.concat_parts` (which frees the parts' strings)."""
        self._begin()
        fresh = [p for p in parts if p.path not in self._first_rid and p.layout != "unreadable"]
        known = [t for p in parts for t in p.titles]
        digest = titles_digest(known) if any(p.layout == "oneline" for p in fresh) else None
        next_rid = int(self._get("next_rid"))
        for k, p in enumerate(fresh):
            if k == len(fresh) // 2:
                _test_point("index-write")
            if p.path in self.files:
                self._drop(p.path)
            next_rid = self._write_file(p, next_rid, digest if p.layout == "oneline" else None)
        self._set("next_rid", next_rid)
        self._set("inputs", sorted(set(self._get("inputs") or []) | set(inputs)))

    def _drop(self, path: str) -> None:
        f = self.files.pop(path)
        fid, first, n = f["file_id"], f["first_rid"], f["n"]
        old = self.db.execute("SELECT arrays, sig, pre FROM blocks WHERE file_id = ? ORDER BY block", (fid,)).fetchall()
        if old:
            st = np.concatenate([_from_npy(b[0]) for b in old])
            arrays = {k: st[k] for k in st.dtype.names or ()}
            rows = self.db.execute(f"SELECT {', '.join(STRING_COLUMNS)} FROM recs WHERE rid BETWEEN ? AND ? "
                                   "ORDER BY rid", (first, first + n - 1)).fetchall()
            strings = {c: [r[k] for r in rows] for k, c in enumerate(STRING_COLUMNS)}
            keys, rec = record_keys(arrays, strings, np.concatenate([_from_npy(b[1]) for b in old]),
                                    np.concatenate([_from_npy(b[2]) for b in old]), self.config)
            self.db.executemany("DELETE FROM keys WHERE key = ? AND rid = ?",
                                zip(keys.tolist(), (rec + first).tolist(), strict=True))
        for table in ("blocks", "spill", "recs", "files"):
            self.db.execute(f"DELETE FROM {table} WHERE file_id = ?", (fid,))

    def _write_file(self, p: Prepared, first: int, digest: str | None) -> int:
        from .read import sniff_layout

        size, sha = self._named.get(p.path) or file_digest(p.path)
        sniffed = sniff_layout(p.path)
        n = len(p)
        rejects = json.dumps([r.to_dict() for r in p.rejects], ensure_ascii=False)
        cur = self.db.execute(
            "INSERT INTO files (path, size, sha256, layout, sniffed, first_rid, n, known_digest, rejects, "
            "repair_counts, repair_examples) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (p.path, size, sha, p.layout, sniffed, first, n, digest, rejects,
             json.dumps(dict(sorted(p.repair_counts.items())), ensure_ascii=False),
             json.dumps(p.repair_examples, ensure_ascii=False)))
        fid = cur.lastrowid
        sig, pre = p.matrix("sig"), p.matrix("pre")
        st = _structured(p.arrays)
        for b, lo in enumerate(range(0, max(n, 1), self.block)):
            hi = min(n, lo + self.block)
            self.db.execute("INSERT INTO blocks (file_id, block, arrays, sig, pre) VALUES (?, ?, ?, ?, ?)",
                            (fid, b, _npy(st[lo:hi]), _npy(np.asarray(sig[lo:hi])), _npy(np.asarray(pre[lo:hi]))))
        with open(p.spill, "rb") as fh:
            k, rest = 0, b""
            while True:  # chunks of about SPILL_CHUNK bytes, cut after a line end
                data = rest + fh.read(SPILL_CHUNK)
                if not data:
                    break
                cut = data.rfind(b"\n") + 1 if len(data) > SPILL_CHUNK else len(data)
                cut = cut or len(data)
                self.db.execute("INSERT INTO spill VALUES (?, ?, ?)", (fid, k, data[:cut]))
                rest, k = data[cut:], k + 1
            if k == 0:
                self.db.execute("INSERT INTO spill VALUES (?, ?, ?)", (fid, 0, b""))
        titles: list[str | None] = list(p.titles) if p.layout != "oneline" else [None] * n
        if len(titles) != n:  # noqa: SIM108 - the titles of a non-one-line dump are one per record
            titles = [None] * n
        s = p.strings
        self.db.executemany(
            "INSERT INTO recs (rid, file_id, title, tprefix, title_keys, venue_keys, page_keys, author_keys, dois) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((first + i, fid, t, title_prefix(t) if t else None, *(s[c][i] for c in STRING_COLUMNS))
             for i, t in enumerate(titles)))
        keys, rec = record_keys(p.arrays, s, sig, pre, self.config)
        order = np.argsort(keys, kind="stable")
        self.db.executemany("INSERT OR IGNORE INTO keys (key, rid) VALUES (?, ?)",
                            zip(keys[order].tolist(), (rec[order] + first).tolist(), strict=True))
        self.files[p.path] = {"file_id": fid, "size": size, "sha256": sha, "layout": p.layout, "sniffed": sniffed,
                              "first_rid": first, "n": n, "known_digest": digest}
        self._first_rid[p.path] = first
        return first + n

    def stage_ids(self, parts: Sequence[Prepared], labels: np.ndarray, cl_labels: np.ndarray, ids: list[str],
                  output: str) -> None:
        """Write the corpus id of every record (in the open transaction)."""
        self._begin()
        cluster = np.searchsorted(cl_labels, labels)
        pos = 0
        for p in parts:  # a dump at a time: only the ids that changed are written
            if p.path not in self._first_rid:  # a file that could not be read: no records
                pos += len(p)
                continue
            first, n = self._first_rid[p.path], len(p)
            old = dict(self.db.execute("SELECT rid, cid FROM recs WHERE rid BETWEEN ? AND ?", (first, first + n - 1)))
            now = [ids[c] for c in cluster[pos:pos + n].tolist()]
            self.db.executemany("UPDATE recs SET cid = ? WHERE rid = ?",
                                [(c, first + i) for i, c in enumerate(now) if old.get(first + i) != c])
            pos += n
        self._set("corpus", {"path": output, "papers": len(ids)})

    def commit(self) -> None:
        """Make this run's writes durable. Called after the corpus and report are in place: a run killed
        before leaves the index as it was (SQLite rolls the open transaction back), a run killed between
        the corpus and this commit leaves the index one run behind, and its next run reads the same dumps
        again and writes the same corpus."""
        _test_point("index-commit")
        if self._in_tx:
            self.db.execute("COMMIT")
            self._in_tx = False
        if self._created:
            io_mode = 0o666 & ~_umask()
            os.chmod(self._db_path, io_mode)
            os.replace(self._db_path, self.path)
            self._created = False

    # -- check: lookups
    def lookup(self, keys: np.ndarray, exclude: set[int]) -> dict[int, list[int]]:
        """Index records per key (at most :data:`MAX_PER_KEY` each), without the files in ``exclude``."""
        out: dict[int, list[int]] = {}
        ranges = [(f["first_rid"], f["first_rid"] + f["n"]) for f in self.files.values() if f["file_id"] in exclude]
        for key in np.unique(keys).tolist():
            got = [r for (r,) in self.db.execute("SELECT rid FROM keys WHERE key = ? LIMIT ?",
                                                 (key, MAX_PER_KEY + 1))
                   if not any(lo <= r < hi for lo, hi in ranges)]
            if got:
                out[key] = got[:MAX_PER_KEY]
        return out

    def records(self, rids: Sequence[int]) -> tuple[dict[str, np.ndarray], dict[str, list[str]], np.ndarray,
                                                     np.ndarray, list[str], list[str]]:
        """Arrays, strings, ``sig``, ``pre``, corpus ids and files of index records ``rids`` (sorted)."""
        from .features import ARRAYS

        by_first = sorted((f["first_rid"], f["n"], f["file_id"], path) for path, f in self.files.items())
        firsts = [b[0] for b in by_first]
        rows: list[np.ndarray] = []
        sigs: list[np.ndarray] = []
        pres: list[np.ndarray] = []
        paths: list[str] = []
        blob_ids: dict[tuple[int, int], int] = {}
        for rid in rids:
            k = int(np.searchsorted(firsts, rid, side="right")) - 1
            first, n, fid, path = by_first[k]
            pos = rid - first
            key = (fid, pos // self.block)
            if key not in blob_ids:
                row = self.db.execute("SELECT id FROM blocks WHERE file_id = ? AND block = ?", key).fetchone()
                if row is None:
                    raise IndexFileError(f"corrupt index: no block {key[1]} of {path}", path=self.path)
                blob_ids[key] = row[0]
            rows.append(self._blob_row(blob_ids[key], "arrays", pos % self.block))
            sigs.append(self._blob_row(blob_ids[key], "sig", pos % self.block))
            pres.append(self._blob_row(blob_ids[key], "pre", pos % self.block))
            paths.append(path)
        for blob in self._blobs.values():
            blob.close()
        self._blobs.clear()
        st = np.concatenate(rows) if rows else np.zeros(0, dtype=[(k, np.dtype(v)) for k, v in ARRAYS.items()])
        arrays = {k: np.ascontiguousarray(st[k]) for k in ARRAYS}
        strings: dict[str, list[str]] = {c: [] for c in STRING_COLUMNS}
        cids: list[str] = []
        for rid in rids:
            r = self.db.execute(f"SELECT cid, {', '.join(STRING_COLUMNS)} FROM recs WHERE rid = ?", (rid,)).fetchone()
            if r is None:
                raise IndexFileError(f"corrupt index: no record {rid}", path=self.path)
            cids.append(r[0] or "?")
            for k, c in enumerate(STRING_COLUMNS):
                strings[c].append(r[k + 1])
        from .prepare import PREFIX_PERM

        sig = np.concatenate(sigs) if sigs else np.zeros((0, self.config.num_perm), np.uint32)
        pre = np.concatenate(pres) if pres else np.zeros((0, PREFIX_PERM), np.uint32)
        return arrays, strings, sig, pre, cids, paths

    def _blob_row(self, rowid: int, column: str, i: int) -> np.ndarray:
        """Row ``i`` of the ``.npy`` array in a block's BLOB, read in place (incremental blob I/O). The BLOB
        stays open (:attr:`_blobs`) so SQLite keeps its map of the BLOB's pages: rows read in ascending order
        cost one pass over a block, not one per row."""
        blob = self._blobs.get((rowid, column))
        if blob is None:
            blob = self._blobs[(rowid, column)] = self.db.blobopen("blocks", column, rowid, readonly=True)
        head = self._headers.get((rowid, column))
        if head is None:
            fmt = np.lib.format
            blob.seek(0)
            version = fmt.read_magic(blob)
            read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, fortran, dtype = read_header(blob)
            if fortran:
                raise IndexFileError("corrupt index: a block's array is not what it should be", path=self.path)
            width = int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize
            head = self._headers[(rowid, column)] = (blob.tell(), width, shape, dtype)
        start, width, shape, dtype = head
        if i >= shape[0]:
            raise IndexFileError("corrupt index: a block holds fewer records than its file", path=self.path)
        blob.seek(start + i * width)
        data = blob.read(width)
        if len(data) != width:
            raise IndexFileError("corrupt index: a block's array is cut short", path=self.path)
        return np.frombuffer(data, dtype=dtype).reshape(1, *shape[1:])

    def known_titles(self, exclude: set[int]) -> IndexTitles:
        return IndexTitles(self, exclude)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _config_fields(params: dict[str, Any]) -> dict[str, Any]:
    cfg = dict(params["config"])
    cfg.pop("rows", None)
    return cfg


class IndexTitles(KnownTitles):
    """Known titles for splitting one-line dumps: the index's titles, looked up by prefix as needed, plus
    any added (the checked dumps' own)."""

    def __init__(self, index: Index, exclude: set[int]) -> None:
        super().__init__()
        self._index = index
        self._exclude = exclude
        self._asked: set[tuple[str, ...]] = set()

    def match(self, body: str) -> str:
        words = tuple(" ".join(body.split()).casefold().split()[: self.PREFIX])
        if words not in self._asked:
            self._asked.add(words)
            for title, fid in self._index.db.execute("SELECT title, file_id FROM recs WHERE tprefix = ?",
                                                     (" ".join(words),)):
                if fid not in self._exclude:
                    self.add(title)
        return super().match(body)


def open_for_run(path: str, config: Config) -> Index:
    """The index of a run, its write lock taken (one run writes an index at a time): created when absent,
    refused when it does not fit ``config``."""
    return Index(path, config, create=True, lock=True)


# ---------------------------------------------------------------------------------------------- check
def check_index(inputs: Sequence[str], path: str, quiet: bool = True,
                skip_unreadable: bool = False) -> tuple[list[Any], dict[str, Any]]:
    """``dedup check INPUTS --index PATH``: the findings of :func:`dedup.check.check`, with each record of the
    checked dumps found in the index's corpus (id and evidence), a duplicate among the checked records,
    uncertain, or new. Only the checked dumps are read; the index gives the candidates (records sharing an
    LSH band, an abstract or title key, a title's first or last words, a DOI or an arXiv id with a checked
    record), and the evidence and decision run on those alone, with the parameters the index was built with.
    A checked dump the index already holds (same path) is checked as its replacement: its old records are
    left out."""
    try:
        with Index(path, None, verify=False) as idx:
            return _check(inputs, idx, skip_unreadable)
    except sqlite3.DatabaseError as exc:
        raise _db_error(exc, path) from None


def _db_error(exc: sqlite3.DatabaseError, path: str) -> IndexFileError:
    """What an SQLite error means for the user of an index."""
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return IndexFileError("the index is locked: another 'dedup run --index' is writing it", path=path,
                              hint="wait for that run to finish, then try again")
    return IndexFileError(f"not a usable dedup index: {exc}", path=path,
                          hint="the file is corrupt or not an index; restore it, or rebuild at another path")


def _check(inputs: Sequence[str], idx: Index, skip_unreadable: bool) -> tuple[list[Any], dict[str, Any]]:
    from .check import LEVELS, Finding, _uncertain
    from .cluster import find_clusters
    from .features import Features
    from .pipeline import concat_parts, unreadable_part
    from .read import print_skipped, scan_inputs, sniff_layout

    config = idx.config
    scan = scan_inputs(inputs, skip_unreadable=skip_unreadable)
    print_skipped(scan)
    files = scan.files

    def prepare_file(path: str, config: Config, spill: str, known: KnownTitles | None = None) -> Prepared:
        from .errors import InputError
        from .prepare import prepare_file

        try:
            return prepare_file(path, config, spill, known)
        except InputError as err:
            if not skip_unreadable:
                raise
            return unreadable_part(path, err, config)

    exclude = {idx.files[f]["file_id"] for f in files if f in idx.files}
    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="dedup-check-") as tmp:
        spill = {f: os.path.join(tmp, f"spill-{i:05d}.jsonl") for i, f in enumerate(files)}
        oneline = {f for f in files if sniff_layout(f) == "oneline"}
        prepared = {f: prepare_file(f, config, spill[f]) for f in files if f not in oneline}
        if oneline:
            known = idx.known_titles(exclude)
            for p in prepared.values():
                for t in p.titles:
                    known.add(t)
            prepared.update({f: prepare_file(f, config, spill[f], known) for f in sorted(oneline)})
        parts = [prepared[f] for f in files]
        parts += [unreadable_part(err.path or "?", err, config) for err in scan.unreadable]
        files = files + [err.path or "?" for err in scan.unreadable]
        new = concat_parts(parts)
        n_new = len(new)
        keys, _ = record_keys(new.arrays, new.strings, new.sig, new.pre, config)
        found = idx.lookup(keys, exclude)
        rids = sorted({r for rs in found.values() for r in rs})
        arrays, strings, sig, pre, cids, paths = idx.records(rids)
        feats = Features({k: np.concatenate([new.arrays[k], arrays[k]]) for k in new.arrays},
                         {k: new.strings[k] + strings[k] for k in new.strings},
                         np.vstack([np.asarray(new.sig), sig]).astype(np.uint32),
                         np.vstack([np.asarray(new.pre), pre]).astype(np.uint32),
                         np.concatenate([new.file, np.full(len(rids), len(files), np.int64)]))
        clusters = find_clusters(feats, config)
        lines = feats["lines"].tolist()

        def where(i: int) -> str:
            return f"{files[int(feats.file[i])] if i < n_new else paths[i - n_new]}:{lines[i]}"

        labels = clusters.labels.tolist()
        in_index: dict[int, list[int]] = {}
        for i in range(n_new, len(labels)):
            in_index.setdefault(labels[i], []).append(i)
        direct: dict[int, tuple[float, int, str, dict[str, float]]] = {}
        for (a, b), rule, score, ev in zip(clusters.edges.tolist(), clusters.edge_rule,
                                           clusters.edge_score.tolist(), clusters.edge_evidence, strict=True):
            if a < n_new <= b and (a not in direct or score > direct[a][0]):
                direct[a] = (score, b, rule, ev)
        status: list[dict[str, Any]] = []
        first_of: dict[int, int] = {}
        truncated = feats["truncated"]
        for i in range(n_new):
            lab = labels[i]
            file, line = files[int(feats.file[i])], lines[i]
            entry: dict[str, Any] = {"file": file, "line": line, "status": "new"}
            if lab in in_index:
                score, other, rule, ev = direct.get(i, (float("nan"), in_index[lab][0], "", {}))
                cid = cids[other - n_new]
                how = (f"same paper as {where(other)} ({rule}, score {score:g})" if rule
                       else f"joined to {where(other)} through other checked records")
                also = sorted({cids[j - n_new] for j in in_index[lab]} - {cid})
                extra = f"; it also joins {', '.join(also)}: a run would merge them" if also else ""
                findings.append(Finding(file, line, "notice", "known",
                                        f"already in the corpus as {cid}: {how}{extra}"))
                entry.update(status="known", id=cid, match=where(other), rule=rule or None, evidence=ev)
            elif lab in first_of:
                findings.append(Finding(file, line, "notice", "duplicate", f"same paper as {where(first_of[lab])}"))
                entry.update(status="duplicate", match=where(first_of[lab]))
            else:
                first_of[lab] = i
            if truncated[i]:
                findings.append(Finding(file, line, "notice", "truncated", "abstract cut by the listing page"))
            status.append(entry)
        for (a, b), rule, ev in zip(clusters.uncertain.tolist(), clusters.uncertain_rule, clusters.uncertain_evidence,
                                    strict=True):
            if a >= n_new and b >= n_new:
                continue  # both in the corpus: not this dump's business
            if a >= n_new:
                a, b = b, a
            peer = f"{cids[b - n_new]} ({where(b)})" if b >= n_new else where(b)
            findings.append(Finding(files[int(feats.file[a])], lines[a], "warning", "uncertain",
                                    f"may be the same paper as {peer} ({rule}): not merged, a person should decide"))
            if status[a]["status"] == "new":
                status[a].update(status="uncertain", match=where(b), rule=rule, evidence=ev)
        for p in parts:
            for r in p.rejects:
                findings.append(Finding(r.file, r.line, "error", "reject", r.reason))
            _uncertain(p, findings)
    findings.sort()
    counts = Counter(s["status"] for s in status)
    summary = {
        "files": len(files),
        "records": n_new,
        "papers": len(first_of),
        "known": counts["known"],
        "by_level": {lvl: sum(1 for f in findings if f.level == lvl) for lvl in LEVELS},
        "index": {"path": idx.path, "records": sum(f["n"] for f in idx.files.values()),
                  "candidates": len(rids), "statuses": {k: counts[k] for k in
                                                        ("new", "known", "duplicate", "uncertain")},
                  "per_record": status},
    }
    return findings, summary
