"""The local engine's state: one SQLite database (WAL) per work directory.

It holds the workflows, one row per Argo-shaped node (its ``seq`` numbers its last change, so
faces follow a run without re-reading every node) and an event log of every phase change. The
engine batches a run's changes into few transactions (``nodes.NodeBook``); the engine thread is
the only writer, readers open their own connections (one per thread and database).

A step's processes are recorded while it runs (PID, process group, start time), so a later
engine can end what a killed one left running. The file is private to its owner (0600: it
holds the stored models). SQLite's errors reach users as ``StateError``s that name the file:
a full disk says "disk full", a corrupt file says what to do.
"""
from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Type, TypeVar

from dflow_nb.config import DEFAULT_WORKDIR, STATE_DB
from dflow_nb.errors import DflowNbError

SCHEMA = """
CREATE TABLE IF NOT EXISTS workflows (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, phase TEXT NOT NULL, message TEXT,
    created_at REAL NOT NULL, started_at REAL, finished_at REAL, dir TEXT NOT NULL,
    outputs TEXT, spec BLOB, engine_pid INTEGER, heartbeat REAL, detached INTEGER DEFAULT 0,
    suspended INTEGER DEFAULT 0, labels TEXT
);
CREATE TABLE IF NOT EXISTS nodes (
    wf TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, display_name TEXT NOT NULL,
    type TEXT NOT NULL, template TEXT, phase TEXT NOT NULL, boundary_id TEXT, parent_id TEXT,
    message TEXT, started_at REAL, finished_at REAL, key TEXT, inputs TEXT, outputs TEXT,
    progress TEXT, dir TEXT, seq INTEGER NOT NULL, depends_on TEXT, executor TEXT,
    memoization TEXT, PRIMARY KEY (wf, id)
);
CREATE INDEX IF NOT EXISTS nodes_by_key ON nodes (wf, key);
CREATE INDEX IF NOT EXISTS nodes_by_display ON nodes (wf, display_name);
CREATE INDEX IF NOT EXISTS nodes_by_seq ON nodes (wf, seq);
CREATE INDEX IF NOT EXISTS nodes_unfinished ON nodes (wf, phase) WHERE phase <> 'Succeeded';
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, wf TEXT NOT NULL, node TEXT NOT NULL,
    phase TEXT NOT NULL, at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_wf ON events (wf, seq);
CREATE TABLE IF NOT EXISTS controls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, wf TEXT NOT NULL, action TEXT NOT NULL,
    at REAL NOT NULL, done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS processes (
    wf TEXT NOT NULL, node TEXT NOT NULL, pid INTEGER NOT NULL, pgid INTEGER NOT NULL,
    started INTEGER, PRIMARY KEY (wf, node, pid)
);
"""

ACTIONS = ("terminate", "stop", "suspend", "resume")

NODE_COLUMNS = ("id", "name", "display_name", "type", "template", "phase", "boundary_id",
                "parent_id", "message", "started_at", "finished_at", "key", "inputs", "outputs",
                "progress", "dir", "seq", "depends_on", "executor", "memoization")

_JSON_COLUMNS = ("inputs", "outputs", "depends_on", "executor", "memoization", "labels")
DB_NAME = STATE_DB
WORKER_NODE = "(warm worker)"   # the node of a warm worker's process record: the run's, not a node's
OPEN = ("Pending", "Running")
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_NOTADB = 11, 13, 26   # SQLite's primary result codes


class StateError(DflowNbError):
    """The state database cannot be read or written (the message names the file)."""


def state_error(path: Path, exc: sqlite3.Error) -> StateError:
    """SQLite's error in the user's terms: which file, what happened, what to do."""
    code = getattr(exc, "sqlite_errorcode", None)   # Python 3.11+
    text = str(exc)
    if code is not None:
        code &= 0xFF   # the primary result code
    if code == SQLITE_FULL or (code is None and "is full" in text):
        return StateError(f"disk full: cannot write the state database {path} ({text})")
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB) or (
            code is None and ("not a database" in text or "malformed" in text)):
        return StateError(
            f"the state database {path} is corrupt ({text}). It only records the runs of "
            f"{path.parent} (step directories and outputs are files beside it): move it aside "
            f"with its -wal and -shm files (e.g. mv {path} {path}.corrupt) to start an empty "
            f"record, or restore it from a backup; `sqlite3 {path} .recover` may save its rows")
    return StateError(f"the state database {path}: {text}")


T = TypeVar("T")


def _sqlite_errors_named(cls: Type[T]) -> Type[T]:
    """Every method of ``cls`` raises StateError (naming ``self.path``) for SQLite's errors."""
    def guard(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                raise state_error(self.path, exc) from None
        return guarded
    for name, value in list(vars(cls).items()):
        if callable(value) and (not name.startswith("__") or name == "__init__"):
            setattr(cls, name, guard(value))
    return cls


def private_file(path: Path) -> None:
    """Create ``path`` readable by its owner only (SQLite gives its -wal and -shm files the
    same mode), or make an existing one (and those files) so.

    An existing file is never opened here: closing any descriptor of a database drops the
    locks this process's connections hold on it, and another process would then delete the
    write-ahead log under them.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return
    except FileExistsError:
        pass
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        try:
            if (path.parent / name).stat().st_mode & 0o077:
                os.chmod(path.parent / name, 0o600)
        except OSError:
            pass   # absent, or another user's file: theirs to keep


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


@_sqlite_errors_named
class StateStore:
    """Writes (engine thread) and reads (anyone) of one work directory's state."""

    def __init__(self, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        ignore = workdir / ".gitignore"
        if workdir.name == DEFAULT_WORKDIR and not ignore.exists():
            # the default, hidden work directory sits in a notebook folder: keep the stored
            # models and outputs out of a commit of that folder
            ignore.write_text("# dflow_nb's runs: state database and step folders\n*\n")
        self.path = workdir / DB_NAME
        private_file(self.path)
        self._conn = connect(self.path)
        self._conn.executescript(f"BEGIN;{SCHEMA}COMMIT;")   # one transaction, not nine
        # columns a database made by an earlier version lacks
        _add_column(self._conn, "workflows", "labels TEXT")
        _add_column(self._conn, "workflows", "engine_started INTEGER")
        _add_column(self._conn, "nodes", "memoization TEXT")
        self._lock = threading.Lock()
        row = self._conn.execute("SELECT MAX(seq) FROM nodes").fetchone()
        self._seq = row[0] or 0

    # -- writes --------------------------------------------------------------------------------
    def _tx(self, statements: Iterable[Tuple[str, tuple]]) -> None:
        self._write(lambda cur: [cur.execute(sql, args) for sql, args in statements])

    def _write(self, work: Callable[[sqlite3.Cursor], T]) -> T:
        """``work`` in one transaction. A failed COMMIT (a full disk) has already rolled
        back: its error, not a failed ROLLBACK's, is what the caller sees."""
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                result = work(cur)
                cur.execute("COMMIT")
                return result
            except BaseException:
                if self._conn.in_transaction:
                    try:
                        cur.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                raise

    def create_workflow(self, wf_id: str, name: str, wf_dir: Path, spec: Optional[bytes],
                        detached: bool = False, labels: Optional[Mapping[str, str]] = None,
                        engine: Optional[Tuple[int, Optional[int]]] = None) -> None:
        """A new run, Pending; with ``engine`` (pid, start time), already claimed by that
        process (Running, as ``claim`` makes it), in the same transaction."""
        now = time.time()
        pid, started = engine or (None, None)
        self._tx([("INSERT INTO workflows (id, name, phase, created_at, started_at, dir, spec, "
                   "detached, labels, engine_pid, engine_started, heartbeat) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (wf_id, name, "Pending" if engine is None else "Running", now, now,
                    str(wf_dir), spec, int(detached), json.dumps(dict(labels or {})), pid,
                    started, None if engine is None else now))])

    def delete_workflow(self, wf_id: str) -> None:
        """Forget a run: its row, nodes, events and pending requests, in one transaction."""
        self._tx([(f"DELETE FROM {table} WHERE {column}=?", (wf_id,)) for table, column in
                  (("workflows", "id"), ("nodes", "wf"), ("events", "wf"), ("controls", "wf"))])

    def claim(self, wf_id: str, pid: int, started: Optional[int] = None) -> None:
        """This process now runs the workflow: phase Running, our pid (and start time, which
        tells us from a later process with the same pid), a fresh heartbeat."""
        self._tx([("UPDATE workflows SET phase='Running', message=NULL, finished_at=NULL, "
                   "engine_pid=?, engine_started=?, heartbeat=?, suspended=0 WHERE id=?",
                   (pid, started, time.time(), wf_id)),
                  ("UPDATE controls SET done=1 WHERE wf=?", (wf_id,))])

    def record_process(self, wf_id: str, node: str, pid: int, pgid: int,
                       started: Optional[int]) -> None:
        """A process that runs ``node`` now (forgotten when the node ends)."""
        self._tx([process_statement(wf_id, node, pid, pgid, started)])

    def processes(self, wf_id: str) -> List[Tuple[int, int, Optional[int]]]:
        """(pid, pgid, start time) of the processes recorded for the run's open nodes."""
        with self._lock:
            rows = self._conn.execute("SELECT pid, pgid, started FROM processes WHERE wf=?",
                                      (wf_id,)).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def engines(self) -> List[Dict[str, Any]]:
        """Runs recorded as Pending or Running by an engine: who runs them, and since when."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, dir, engine_pid, engine_started FROM workflows WHERE phase IN "
                "('Pending', 'Running') AND engine_pid IS NOT NULL").fetchall()
        return [{"id": r[0], "dir": r[1], "engine_pid": r[2], "engine_started": r[3]}
                for r in rows]

    def end_run(self, wf_id: str, phase: str, message: Optional[str],
                outputs: Dict[str, Any], node_message: str,
                engine: Optional[Tuple[int, Optional[int]]] = None,
                before: Sequence[Tuple[str, tuple]] = ()) -> bool:
        """Record a run's end in one transaction: ``before`` (its engine's last node changes),
        its nodes still open Failed with ``node_message``, then its phase. With ``engine``
        (pid, start time), only if that engine still owns the open run (another process may
        have resumed it); False if it did not."""
        def end(cur: sqlite3.Cursor) -> bool:
            if engine is not None:
                row = cur.execute("SELECT phase, engine_pid, engine_started FROM workflows "
                                  "WHERE id=?", (wf_id,)).fetchone()
                if row is None or row[0] not in OPEN or (row[1], row[2]) != engine:
                    return False
            for sql, args in before:
                cur.execute(sql, args)
            now = time.time()
            cur.row_factory = sqlite3.Row
            rows = cur.execute("SELECT * FROM nodes WHERE wf=? AND phase IN "
                               "('Pending', 'Running')", (wf_id,)).fetchall()
            cur.row_factory = None
            for r in rows:
                node = _row(r)
                node.update(phase="Failed", message=node_message, finished_at=now,
                            started_at=node["started_at"] or now)
                for sql, args in self._node_statements(wf_id, node):
                    cur.execute(sql, args)
            cur.execute("UPDATE workflows SET phase=?, message=?, finished_at=?, outputs=? "
                        "WHERE id=?", (phase, message, now, json.dumps(outputs), wf_id))
            cur.execute("INSERT INTO events (wf, node, phase, at) VALUES (?, ?, ?, ?)",
                        (wf_id, wf_id, phase, now))
            cur.execute("DELETE FROM processes WHERE wf=?", (wf_id,))
            return True
        return self._write(end)

    def set_spec(self, wf_id: str, spec: bytes) -> None:
        self._tx([("UPDATE workflows SET spec=? WHERE id=?", (spec, wf_id))])

    def heartbeat(self, wf_id: str) -> None:
        self._tx([("UPDATE workflows SET heartbeat=? WHERE id=?", (time.time(), wf_id))])

    def set_suspended(self, wf_id: str, suspended: bool) -> None:
        self._tx([("UPDATE workflows SET suspended=? WHERE id=?", (int(suspended), wf_id))])

    def take_controls(self, wf_id: str) -> List[str]:
        """Actions other processes asked for (terminate, stop, suspend, resume), oldest first."""
        with self._lock:
            rows = self._conn.execute("SELECT seq, action FROM controls WHERE wf=? AND done=0 "
                                      "ORDER BY seq", (wf_id,)).fetchall()
        if rows:
            self._tx([("UPDATE controls SET done=1 WHERE seq<=?", (rows[-1][0],))])
        return [r[1] for r in rows]

    def succeeded_nodes(self, wf_id: str) -> Dict[str, Dict[str, Any]]:
        """Nodes that finished Succeeded, by name: a resumed run never runs them again."""
        with self._lock:
            self._conn.row_factory = sqlite3.Row
            try:
                rows = self._conn.execute("SELECT * FROM nodes WHERE wf=? AND phase='Succeeded'",
                                          (wf_id,)).fetchall()
            finally:
                self._conn.row_factory = None
        return {r["name"]: _row(r) for r in rows}

    def open_nodes(self, wf_id: str) -> List[Dict[str, Any]]:
        """Nodes a dead engine left Pending or Running."""
        with self._lock:
            self._conn.row_factory = sqlite3.Row
            try:
                rows = self._conn.execute("SELECT * FROM nodes WHERE wf=? AND phase IN "
                                          "('Pending', 'Running')", (wf_id,)).fetchall()
            finally:
                self._conn.row_factory = None
        return [_row(r) for r in rows]

    def upsert_node(self, wf_id: str, node: Mapping[str, Any]) -> None:
        """Write a node's current state and log its phase as an event, in one transaction.

        ``seq`` is the node's last-change number: ``nodes(since_seq=c)`` returns what changed.
        """
        self._tx(self._node_statements(wf_id, node))

    def node_statements(self, wf_id: str, node: Mapping[str, Any]) -> List[Tuple[str, tuple]]:
        """What ``upsert_node`` writes, numbered now, for a later ``write`` (with others, in
        one transaction, in the order they were made)."""
        return self._node_statements(wf_id, node)

    def write(self, statements: Iterable[Tuple[str, tuple]]) -> None:
        """Statements (from ``node_statements``, ``process_statement``) in one transaction."""
        self._tx(statements)

    def _node_statements(self, wf_id: str, node: Mapping[str, Any]) -> List[Tuple[str, tuple]]:
        """The statements that write a node and log its phase; an ended node's processes are
        forgotten."""
        self._seq += 1
        get = node.get
        row = [wf_id, *[get(c) for c in NODE_COLUMNS]]
        row[_SEQ] = self._seq
        for i in _JSON:
            if row[i] is not None:
                row[i] = _encode(row[i])
        statements = [(_UPSERT_NODE, tuple(row)),
                      (_LOG_EVENT, (wf_id, node["id"], node["phase"], time.time()))]
        if node["phase"] not in OPEN:
            statements.append((_FORGET_PROCESSES, (wf_id, node["id"])))
        return statements


# An update in place, not REPLACE's delete + insert: only the indexes of changed columns move.
_UPSERT_NODE = (f"INSERT INTO nodes (wf, {', '.join(NODE_COLUMNS)}) "
                f"VALUES (?, {', '.join('?' for _ in NODE_COLUMNS)}) ON CONFLICT (wf, id) DO UPDATE "
                f"SET {', '.join(f'{c}=excluded.{c}' for c in NODE_COLUMNS if c != 'id')}")
_SEQ = 1 + NODE_COLUMNS.index("seq")   # places in the upsert's arguments (after ``wf``)
_JSON = tuple(1 + NODE_COLUMNS.index(c) for c in _JSON_COLUMNS if c in NODE_COLUMNS)
_LOG_EVENT = "INSERT INTO events (wf, node, phase, at) VALUES (?, ?, ?, ?)"
_FORGET_PROCESSES = "DELETE FROM processes WHERE wf=? AND node=?"


def process_statement(wf_id: str, node: str, pid: int, pgid: int,
                      started: Optional[int]) -> Tuple[str, tuple]:
    """The statement that records a process running ``node``."""
    return ("INSERT OR REPLACE INTO processes (wf, node, pid, pgid, started) "
            "VALUES (?, ?, ?, ?, ?)", (wf_id, node, pid, pgid, started))


def _encode(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


# Nodes that did not succeed (the few a user looks for: failed, running) are indexed by phase;
# a partial index, so the bulk of a large run's slices leave it when they succeed.
_UNFINISHED = "phase <> 'Succeeded'"

_LONGEST_IN = 2000   # values of one filter sent to SQLite; a longer list reads every node

_READERS = threading.local()   # per thread: database path -> (connection, the file's inode)
READERS_KEPT = 8               # connections a thread keeps open, to its last used databases


@_sqlite_errors_named
class StateReader:
    """Read-only queries on a work directory's state (any thread or process)."""

    def __init__(self, workdir: Path) -> None:
        self.path = workdir / DB_NAME

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection to the file, shared by every reader of it in the thread
        (a notebook makes a reader per workflow); a new one if the file was replaced."""
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            raise FileNotFoundError(self.path) from None
        conns: Dict[Path, Tuple[sqlite3.Connection, int]] = \
            _READERS.__dict__.setdefault("conns", {})
        found = conns.pop(self.path, None)
        if found is not None and found[1] != inode:
            found[0].close()
            found = None
        if found is None:
            conn = connect(self.path)
            conn.row_factory = sqlite3.Row
            found = (conn, inode)
            while len(conns) >= READERS_KEPT:   # the least recently used goes
                conns.pop(next(iter(conns)))[0].close()
        conns[self.path] = found   # last: the most recently used
        return found[0]

    def workflow(self, wf_id: str) -> Optional[Dict[str, Any]]:
        """The run's row without its stored model (which grows with the workflow's inputs)."""
        conn = self._conn()
        columns = ", ".join(c for c in _columns(conn, "workflows") if c != "spec")
        row = conn.execute(f"SELECT {columns} FROM workflows WHERE id=?", (wf_id,)).fetchone()
        return _row(row) if row else None

    def request(self, wf_id: str, action: str) -> None:
        """Ask the engine running ``wf_id`` (in any process) to act; it polls for requests."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; expected one of {ACTIONS}")
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO controls (wf, action, at) VALUES (?, ?, ?)",
                     (wf_id, action, time.time()))
        conn.execute("COMMIT")

    def spec(self, wf_id: str) -> Optional[bytes]:
        row = self._conn().execute("SELECT spec FROM workflows WHERE id=?", (wf_id,)).fetchone()
        return row[0] if row else None

    def workflows(self) -> List[Dict[str, Any]]:
        known = _columns(self._conn(), "workflows")   # older databases lack the newer ones
        labels = "".join(f", {c}" for c in ("labels", "engine_started") if c in known)
        rows = self._conn().execute(
            "SELECT id, name, phase, message, created_at, started_at, finished_at, dir, "
            f"engine_pid, heartbeat, detached, suspended{labels} FROM workflows "
            "ORDER BY created_at DESC").fetchall()
        return [_row(r) for r in rows]

    def nodes(self, wf_id: str, *, key: Optional[str] = None, display_name: Optional[str] = None,
              since_seq: Optional[int] = None, keys: Optional[Sequence[str]] = None,
              names: Optional[Sequence[str]] = None, phases: Optional[Sequence[str]] = None,
              ids: Optional[Sequence[str]] = None) -> List[Dict[str, Any]]:
        """The run's nodes in change order: all, or those matching every filter given (``names``
        match a display name and its loop items, ``name(...)``), read through one index. A
        filter of more than 2,000 values is not applied (the caller filters again). A node's
        ``inputs`` stay JSON text (``StepRecord`` decodes them when read)."""
        # a long list is not sent (SQLite takes at most 32,766 values; a scan is as fast), nor
        # one with None (`IN (NULL)` matches nothing): the caller filters what it gets again
        keys, names, phases, ids = (
            None if v is not None and (len(v) > _LONGEST_IN or None in v) else v
            for v in (keys, names, phases, ids))
        if key is not None:
            keys = [key]
        if display_name is not None:
            names, exact = [display_name], True
        else:
            exact = False
        unfinished = phases is not None and "Succeeded" not in phases
        # the filter whose index is read; the others are checks (a `+` keeps SQLite's planner,
        # which has no statistics here, from reading the index of a broader one)
        drive = "seq" if since_seq is not None else "id" if ids is not None else \
            "key" if keys is not None else "phase" if unfinished else \
            "display_name" if names is not None else "seq"
        sql = "SELECT * FROM nodes WHERE wf=?"
        args: List[Any] = [wf_id]
        for column, values in (("id", ids), ("key", keys), ("phase", phases)):
            if values is not None:
                sql += f" AND {'' if column == drive else '+'}{column} IN " \
                       f"({', '.join('?' for _ in values)})"
                args.extend(values)
        if unfinished:
            sql += f" AND {_UNFINISHED}"   # the partial index's own term, so it can be read
        if since_seq is not None:
            sql += " AND seq>?"
            args.append(since_seq)
        sql += " ORDER BY seq" if drive == "seq" else " ORDER BY +seq"
        conn = self._conn()
        if names is None:
            return [_node_row(r) for r in conn.execute(sql, args).fetchall()]
        found: Dict[str, Dict[str, Any]] = {}
        name = "display_name" if drive == "display_name" else "+display_name"
        where = f"{name}=?" if exact else \
            f"{name}>=? AND {name}<? AND ({name}=? OR {name}>=?)"   # "x", "x(...)"; "(" < ")"
        at = sql.index(" ORDER BY")
        for x in names:   # one range of the display-name index each
            for r in conn.execute(f"{sql[:at]} AND {where}{sql[at:]}",
                                  [*args, x] if exact else [*args, x, x + ")", x, x + "("]):
                found.setdefault(r["id"], _node_row(r))
        return sorted(found.values(), key=lambda n: n["seq"])


def _add_column(conn: sqlite3.Connection, table: str, column: str) -> None:
    """Add a column unless it is there (two processes opening one database may race)."""
    if column.split()[0] in _columns(conn, table):
        return
    try:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
    except sqlite3.OperationalError as exc:
        if "duplicate column" not in str(exc):
            raise


def _columns(conn: sqlite3.Connection, table: str) -> List[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})").fetchall()]


def _node_row(row: sqlite3.Row) -> Dict[str, Any]:
    """A node as records read it: its JSON decoded, but for ``inputs``, left as text for
    ``StepRecord`` to decode on first use (a live view reads 1,000 changed nodes a refresh and
    looks at none of their inputs)."""
    return _row(row, keep_text=("inputs",))


def _row(row: sqlite3.Row, keep_text: Tuple[str, ...] = ()) -> Dict[str, Any]:
    """A row as a dict, its JSON columns decoded (but ``keep_text``), without a stored model."""
    out = dict(row)
    for k in _JSON_COLUMNS:
        if k not in keep_text and isinstance(out.get(k), str):
            out[k] = json.loads(out[k])
    out.pop("spec", None)
    return out
