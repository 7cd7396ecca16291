"""The local engine's state: one SQLite database (WAL) per work directory.

It holds the workflows, one row per Argo-shaped node (its ``seq`` numbers its last change, so
faces follow a run without re-reading every node) and an event log of every phase change. Every
phase change is one transaction; the engine thread is the only writer, readers open their own
connections.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

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
    PRIMARY KEY (wf, id)
);
CREATE INDEX IF NOT EXISTS nodes_by_key ON nodes (wf, key);
CREATE INDEX IF NOT EXISTS nodes_by_display ON nodes (wf, display_name);
CREATE INDEX IF NOT EXISTS nodes_by_seq ON nodes (wf, seq);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, wf TEXT NOT NULL, node TEXT NOT NULL,
    phase TEXT NOT NULL, at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_wf ON events (wf, seq);
CREATE TABLE IF NOT EXISTS controls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, wf TEXT NOT NULL, action TEXT NOT NULL,
    at REAL NOT NULL, done INTEGER NOT NULL DEFAULT 0
);
"""

ACTIONS = ("terminate", "stop", "suspend", "resume")

NODE_COLUMNS = ("id", "name", "display_name", "type", "template", "phase", "boundary_id",
                "parent_id", "message", "started_at", "finished_at", "key", "inputs", "outputs",
                "progress", "dir", "seq", "depends_on", "executor")

DB_NAME = "dflow_nb.db"


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class StateStore:
    """Writes (engine thread) and reads (anyone) of one work directory's state."""

    def __init__(self, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.path = workdir / DB_NAME
        self._conn = connect(self.path)
        self._conn.executescript(SCHEMA)
        # columns a database made by an earlier version lacks
        _add_column(self._conn, "workflows", "labels TEXT")
        self._lock = threading.Lock()
        row = self._conn.execute("SELECT MAX(seq) FROM nodes").fetchone()
        self._seq = row[0] or 0

    # -- writes --------------------------------------------------------------------------------
    def _tx(self, statements: Iterable[Tuple[str, tuple]]) -> None:
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    cur.execute(sql, args)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    def create_workflow(self, wf_id: str, name: str, wf_dir: Path, spec: Optional[bytes],
                        detached: bool = False, labels: Optional[Mapping[str, str]] = None
                        ) -> None:
        now = time.time()
        self._tx([("INSERT INTO workflows (id, name, phase, created_at, started_at, dir, spec, "
                   "detached, labels) VALUES (?, ?, 'Pending', ?, ?, ?, ?, ?, ?)",
                   (wf_id, name, now, now, str(wf_dir), spec, int(detached),
                    json.dumps(dict(labels or {}))))])

    def delete_workflow(self, wf_id: str) -> None:
        """Forget a run: its row, nodes, events and pending requests, in one transaction."""
        self._tx([(f"DELETE FROM {table} WHERE {column}=?", (wf_id,)) for table, column in
                  (("workflows", "id"), ("nodes", "wf"), ("events", "wf"), ("controls", "wf"))])

    def claim(self, wf_id: str, pid: int) -> None:
        """This process now runs the workflow: phase Running, our pid, a fresh heartbeat."""
        self._tx([("UPDATE workflows SET phase='Running', message=NULL, finished_at=NULL, "
                   "engine_pid=?, heartbeat=?, suspended=0 WHERE id=?", (pid, time.time(), wf_id)),
                  ("UPDATE controls SET done=1 WHERE wf=?", (wf_id,))])

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

    def finish_workflow(self, wf_id: str, phase: str, message: Optional[str],
                        outputs: Dict[str, Any]) -> None:
        self._tx([("UPDATE workflows SET phase=?, message=?, finished_at=?, outputs=? WHERE id=?",
                   (phase, message, time.time(), json.dumps(outputs), wf_id)),
                  ("INSERT INTO events (wf, node, phase, at) VALUES (?, ?, ?, ?)",
                   (wf_id, wf_id, phase, time.time()))])

    def upsert_node(self, wf_id: str, node: Mapping[str, Any]) -> None:
        """Write a node's current state and log its phase as an event, in one transaction.

        ``seq`` is the node's last-change number: ``nodes(since_seq=c)`` returns what changed.
        """
        self._seq += 1
        row = tuple(self._seq if c == "seq" else _encode(node.get(c)) for c in NODE_COLUMNS)
        cols = ", ".join(NODE_COLUMNS)
        marks = ", ".join("?" for _ in NODE_COLUMNS)
        self._tx([(f"INSERT OR REPLACE INTO nodes (wf, {cols}) VALUES (?, {marks})", (wf_id, *row)),
                  ("INSERT INTO events (wf, node, phase, at) VALUES (?, ?, ?, ?)",
                   (wf_id, node["id"], node["phase"], time.time()))])


def _encode(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


class StateReader:
    """Read-only queries on a work directory's state (any thread or process)."""

    def __init__(self, workdir: Path) -> None:
        self.path = workdir / DB_NAME
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if not self.path.exists():
                raise FileNotFoundError(self.path)
            conn = connect(self.path)
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    def workflow(self, wf_id: str) -> Optional[Dict[str, Any]]:
        row = self._conn().execute("SELECT * FROM workflows WHERE id=?", (wf_id,)).fetchone()
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
        labels = ", labels" if "labels" in _columns(self._conn(), "workflows") else ""
        rows = self._conn().execute(
            "SELECT id, name, phase, message, created_at, started_at, finished_at, dir, "
            f"engine_pid, heartbeat, detached, suspended{labels} FROM workflows "
            "ORDER BY created_at DESC").fetchall()
        return [_row(r) for r in rows]

    def nodes(self, wf_id: str, *, key: Optional[str] = None, display_name: Optional[str] = None,
              since_seq: Optional[int] = None) -> List[Dict[str, Any]]:
        sql = "SELECT * FROM nodes WHERE wf=?"
        args: List[Any] = [wf_id]
        if key is not None:
            sql += " AND key=?"
            args.append(key)
        if display_name is not None:
            sql += " AND display_name=?"
            args.append(display_name)
        if since_seq is not None:
            sql += " AND seq>?"
            args.append(since_seq)
        sql += " ORDER BY seq"
        return [_row(r) for r in self._conn().execute(sql, args).fetchall()]


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


def _row(row: sqlite3.Row) -> Dict[str, Any]:
    out = dict(row)
    for k in ("inputs", "outputs", "depends_on", "executor", "labels"):
        if isinstance(out.get(k), str):
            out[k] = json.loads(out[k])
    out.pop("spec", None)
    return out
