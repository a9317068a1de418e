"""Test fixtures: one parametrized backend fixture, throwaway servers, unique schema names.

Integration tests take the ``backend`` fixture (or one built on it: ``connection``,
``new_schema``) and run once per backend, with the ids ``sqlite``, ``mysql`` and
``postgresql``. The servers are started once per test session in temporary directories
(``tests/servers.py``) unless ``DJ_SQLA_TEST_MYSQL_URL`` / ``DJ_SQLA_TEST_POSTGRESQL_URL`` point
at running ones (``python tests/servers.py`` prints such lines). ``DJ_SQLA_TEST_BACKENDS``
(comma-separated) limits the backends, e.g. for the tox environments. A server that cannot
start makes its tests error: a backend is never skipped silently.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).parent))

import dj_sqla as dj
import servers
from dj_sqla import example

#: Run by the interoperability test in a subprocess, never imported here (it needs DataJoint's
#: process-wide configuration).
#: The Element linking modules and their runner import the Elements (and so ``datajoint``): they
#: run only in the Element tests' subprocesses.
collect_ignore = [
    "interop/datajoint_pipeline.py",
    "interop/datajoint_stores.py",
    "interop/datajoint014_stores.py",
    "jobs_worker.py",
    "store_writer.py",
    "bulk_writer.py",
    "elements",
]

ALL_BACKENDS = ("sqlite", "mysql", "postgresql")
BACKENDS = tuple(
    name.strip()
    for name in os.environ.get("DJ_SQLA_TEST_BACKENDS", ",".join(ALL_BACKENDS)).split(",")
    if name.strip()
)
_ENV_URL = {"mysql": "DJ_SQLA_TEST_MYSQL_URL", "postgresql": "DJ_SQLA_TEST_POSTGRESQL_URL"}
_START = {"mysql": servers.start_mariadb, "postgresql": servers.start_postgresql}


class _Servers:
    """Servers started on first use and stopped at the end of the session."""

    def __init__(self) -> None:
        self.urls: dict[str, str] = {}
        self.running: list[servers.Server] = []
        self.failed: dict[str, str] = {}

    def url(self, backend: str) -> str:
        if backend in self.failed:
            pytest.fail(f"the {backend} test server could not start: {self.failed[backend]}")
        if backend not in self.urls:
            from_env = os.environ.get(_ENV_URL[backend])
            if from_env:
                self.urls[backend] = from_env
            else:
                try:
                    server = _START[backend]()
                except Exception as err:
                    self.failed[backend] = str(err)
                    raise
                self.running.append(server)
                self.urls[backend] = server.url
        return self.urls[backend]

    def stop(self) -> None:
        for server in self.running:
            server.stop()


@pytest.fixture(scope="session")
def _servers() -> Iterator[_Servers]:
    pool = _Servers()
    yield pool
    pool.stop()


@pytest.fixture(scope="session")
def s3_url() -> Iterator[str]:
    """The endpoint of an S3-compatible server (``DJ_SQLA_TEST_S3_URL``, or one started for the
    session) holding the buckets of ``servers.S3_BUCKETS``."""
    from_env = os.environ.get("DJ_SQLA_TEST_S3_URL")
    if from_env:
        yield from_env
        return
    server = servers.start_s3()
    try:
        yield server.url
    finally:
        server.stop()


STORE_KINDS = ("file", "s3")


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    """``file`` or ``s3``: a store test runs against both."""
    return str(request.param)


@dataclass
class Stores:
    """The object stores of one test: ``main`` (the default), ``other`` and ``files`` (for
    ``<filepath@>``), all of one kind, in folders (or bucket prefixes) of their own."""

    kind: str
    settings: dict[str, Any]
    root: Path | None = None

    def spec(self, name: str = "main") -> dict[str, Any]:
        return dict(self.settings[name])


@pytest.fixture
def stores(store_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    """``dj.config["stores"]`` set to three fresh stores of ``store_kind``; restored after."""
    unique = uuid.uuid4().hex[:10]
    settings: dict[str, Any] = {"default": "main"}
    root = None
    for name in ("main", "other", "files"):
        if store_kind == "file":
            root = tmp_path / "stores"
            folder = root / name
            folder.mkdir(parents=True)
            settings[name] = {"protocol": "file", "location": str(folder)}
        else:
            url = request.getfixturevalue("s3_url")
            settings[name] = {
                "protocol": "s3",
                "endpoint": url,
                "bucket": servers.S3_BUCKETS[0],
                "location": f"t{unique}/{name}",
                "access_key": "test-key",
                "secret_key": "test-secret",
            }
    saved = dj.config["stores"]
    dj.config["stores"] = settings
    try:
        yield Stores(store_kind, settings, root)
    finally:
        dj.config["stores"] = saved


@pytest.fixture
def example_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder for the example pipeline's object store (``example.build(...,
    store_location=example_store)``), and no demo store configured (as for a newcomer);
    ``dj.config["stores"]`` is restored afterwards."""
    kept = {k: v for k, v in dj.config["stores"].items() if k != example.STORE}
    monkeypatch.setitem(dj.config, "stores", kept)
    return tmp_path / "example_store"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend name; the test runs once per backend."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, _servers: _Servers, tmp_path: Path) -> str:
    """A URL of a fresh store (SQLite) or of the session's server."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'main.db'}"
    return _servers.url(backend)


@dataclass
class Names:
    """Unique schema names for one test; every schema it hands out is dropped afterwards."""

    connection: dj.Connection
    prefix: str = field(default_factory=lambda: f"djt{uuid.uuid4().hex[:8]}")
    issued: list[str] = field(default_factory=list)

    def __call__(self, suffix: str = "s") -> str:
        name = f"{self.prefix}_{suffix}"
        self.issued.append(name)
        return name

    def drop_all(self) -> None:
        backend = self.connection.backend
        with self.connection.engine.connect() as conn:
            existing = set(backend.list_schemas(conn))
            # newest first: later schemas reference earlier ones
            for name in reversed(self.issued):
                if name in existing:
                    backend.drop_schema(conn, name)
            conn.commit()


@pytest.fixture
def connection(db_url: str) -> Iterator[dj.Connection]:
    """A dj.Connection to the backend under test, disposed of afterwards."""
    conn = dj.Connection(db_url)
    yield conn
    conn.engine.dispose()


@pytest.fixture
def schema_name(connection: dj.Connection) -> Iterator[Names]:
    """Call it for a unique schema name: ``schema_name("lab")``; all are dropped at the end."""
    names = Names(connection)
    yield names
    names.drop_all()


@pytest.fixture
def new_schema(connection: dj.Connection, schema_name: Names) -> Callable[..., dj.Schema]:
    """Make a ``dj.Schema`` with a unique name on the test's connection."""

    def make(suffix: str = "s", **kwargs: Any) -> dj.Schema:
        kwargs.setdefault("connection", connection)
        return dj.Schema(schema_name(suffix), **kwargs)

    return make


@dataclass
class Statements:
    """SQL statements and transaction ends seen on an engine."""

    sql: list[str] = field(default_factory=list)
    commits: int = 0
    rollbacks: int = 0
    #: BEGINs psycopg2 sends on its own before a transaction's first statement
    driver_begins: int = 0

    @property
    def round_trips(self) -> int:
        """Statements, COMMITs and the driver's own BEGINs (a rollback of a read-only
        transaction is not counted)."""
        return len(self.sql) + self.commits + self.driver_begins

    def ddl(self) -> list[str]:
        return [s for s in self.sql if s.lstrip().upper().startswith(("CREATE", "ALTER", "DROP"))]


@contextmanager
def count_statements(engine: sa.Engine) -> Iterator[Statements]:
    """Record what ``engine`` sends to the server inside the ``with`` block."""
    seen = Statements()

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.sql.append(statement)

    def on_commit(conn: Any) -> None:
        if not _driver_autocommit(conn):  # in autocommit the driver's commit sends nothing
            seen.commits += 1

    def on_rollback(conn: Any) -> None:
        seen.rollbacks += 1

    def on_begin(conn: Any) -> None:
        if conn.dialect.name == "postgresql" and not _driver_autocommit(conn):
            seen.driver_begins += 1

    listeners = [
        ("before_cursor_execute", on_execute),
        ("commit", on_commit),
        ("rollback", on_rollback),
        ("begin", on_begin),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield seen
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def _driver_autocommit(conn: Any) -> bool:
    """Whether the DBAPI connection under a SQLAlchemy connection is in autocommit mode."""
    dbapi = conn.connection.dbapi_connection
    get_autocommit = getattr(dbapi, "get_autocommit", None)  # PyMySQL
    if get_autocommit is not None:
        return bool(get_autocommit())
    return getattr(dbapi, "autocommit", False) is True  # psycopg2 (sqlite3 3.11: none)


@pytest.fixture
def statements() -> Callable[[sa.Engine], Any]:
    """``with statements(engine) as seen:`` records the SQL sent in the block."""
    return count_statements


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print how many tests passed and failed on each backend."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "error", "xfailed", "xpassed", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if getattr(report, "when", "call") != "call" and outcome == "passed":
                continue
            params = nodeid.rpartition("[")[2].rstrip("]").split("-") if "[" in nodeid else []
            # integration tests of SQLite stores alone name SQLite in their file or test name
            name = nodeid.partition("[")[0]
            alone = "sqlite" if "integration" in name and "sqlite" in name else "no database"
            backend_id = next((b for b in ALL_BACKENDS if b in params), alone)
            per = counts.setdefault(backend_id, {})
            per[outcome] = per.get(outcome, 0) + 1
    if counts:
        terminalreporter.section("tests per backend")
        for name in (*ALL_BACKENDS, "no database"):
            if name in counts:
                text = ", ".join(f"{n} {o}" for o, n in sorted(counts[name].items()))
                terminalreporter.write_line(f"{name:<12} {text}")


# --- limited users and the password-leak check ---------------------------------------------

#: Passwords of the logins the tests make; no report, captured output or log line may hold one.
SECRETS: set[str] = set()
LEVELS = ("read", "write", "declare", "all")


@dataclass(frozen=True)
class Login:
    """A login the test session made on a server: its name, password and URL."""

    name: str
    password: str = field(repr=False)
    url: str = field(repr=False)


def new_password() -> str:
    """A password no other text in the suite contains; registered for the leak check."""
    password = f"pw-{uuid.uuid4().hex}"
    SECRETS.add(password)
    return password


class _Logins:
    """One login per privilege level and server, made on first use, dropped at the end."""

    def __init__(self, pool: _Servers) -> None:
        self.pool = pool
        self.made: dict[str, dict[str, Login]] = {}

    def __call__(self, backend: str) -> dict[str, Login]:
        if backend not in self.made:
            admin = self.pool.url(backend)
            tag = uuid.uuid4().hex[:8]
            logins = {}
            for level in LEVELS:
                name, password = f"djt{tag}_{level}", new_password()
                logins[level] = Login(name, password, servers.create_user(admin, name, password))
            self.made[backend] = logins
        return self.made[backend]

    def drop(self) -> None:
        for backend, logins in self.made.items():
            servers.drop_users(self.pool.url(backend), [login.name for login in logins.values()])


@pytest.fixture(scope="session")
def _logins(_servers: _Servers) -> Iterator[_Logins]:
    made = _Logins(_servers)
    yield made
    made.drop()


@pytest.fixture
def logins(backend: str, _logins: _Logins) -> dict[str, Login]:
    """Logins without privileges on the backend's server, one per level name (``read``,
    ``write``, ``declare``, ``all``); grant them what the test needs. None on SQLite."""
    return {} if backend == "sqlite" else _logins(backend)


def leaked(text: str) -> str | None:
    """The first test password found in ``text``, if any."""
    return next((secret for secret in SECRETS if secret in text), None)


class _LeakWatch(logging.Handler):
    """Every log record of the session, checked for the test passwords."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = logging.Formatter().format(record)
        if leaked(text):
            self.found.append(f"{record.name}: {text[:200]}")


_watch = _LeakWatch()
logging.getLogger().addHandler(_watch)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Fail a test whose report (error text, traceback, captured output or log) or whose
    log lines hold a test password."""
    outcome = yield
    report = outcome.get_result()
    named = [("report", report.longreprtext), *report.sections]
    found = [name for name, text in named if leaked(text)]
    if _watch.found:
        found += _watch.found
        _watch.found = []
    if found:
        original = report.longreprtext
        for secret in SECRETS:
            original = original.replace(secret, "<password>")
        report.outcome = "failed"
        report.longrepr = f"a test password appeared in: {found}\n{original}"
