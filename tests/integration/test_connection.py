"""dj.conn(), dj.config and transactions on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

import dj_sqla as dj


@pytest.fixture
def clean_default() -> Iterator[None]:
    """Leave no default connection behind."""
    yield
    dj.conn(reset=True).engine.dispose()


def test_default_connection_is_embedded_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_default: None
) -> None:
    for variable in ("DJ_SQLA_URL", "DJ_HOST", "DJ_BACKEND"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    conn = dj.conn(reset=True)
    assert conn.backend.name == "sqlite"
    assert conn is dj.conn()
    schema = dj.schema("alice_experiment")
    assert schema.connection is conn
    assert (tmp_path / "dj_sqla_data" / "alice_experiment.db").exists()
    assert dj.list_schemas() == ["alice_experiment"]


def test_config_keys_build_the_connection(
    backend: str, db_url: str, monkeypatch: pytest.MonkeyPatch, clean_default: None
) -> None:
    """DataJoint-style database.* keys (and DJ_* variables) reach every backend."""
    monkeypatch.delenv("DJ_SQLA_URL", raising=False)
    url = sa.make_url(db_url)
    if backend == "sqlite":
        settings = {"database__sqlite_dir": str(Path(str(url.database)).parent)}
    else:
        settings = {
            "database__backend": backend,
            "database__host": url.host,
            "database__port": url.port,
            "database__user": url.username,
            "database__password": url.password,
            "database__name": url.database,
        }
    with dj.config.override(**settings):
        conn = dj.conn(reset=True)
        assert conn.backend.name == backend
        with conn.engine.connect() as c:
            assert c.scalar(sa.select(sa.literal(1))) == 1
    monkeypatch.setenv("DJ_SQLA_URL", db_url)
    assert dj.conn(reset=True).engine.url == url


def test_config_rejects_unknown_key_and_bad_boolean(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(dj.ConfigError, match=r"Unknown setting 'database\.hots'"):
        dj.config["database.hots"] = "x"
    monkeypatch.setenv("DJ_SAFEMODE", "maybe")
    with pytest.raises(dj.ConfigError, match="DJ_SAFEMODE"):
        _ = dj.config["safemode"]
    monkeypatch.setenv("DJ_SAFEMODE", "false")
    assert dj.config["safemode"] is False
    with dj.config.override(safemode=True):
        assert dj.config["safemode"] is True
    assert dj.config["safemode"] is False


def test_unsupported_backend_is_a_clear_error() -> None:
    with (
        dj.config.override(database__backend="oracle", database__host="h"),
        pytest.raises(dj.ConfigError, match="oracle"),
    ):
        dj.conn(reset=True)


def test_transaction_commits_or_rolls_back(connection: dj.Connection, new_schema: object) -> None:
    schema = new_schema("tx")  # type: ignore[operator]

    @schema
    class Item:
        __tablename__ = "item"
        item_id: Mapped[int] = mapped_column(primary_key=True)

    table = Item.__table__  # type: ignore[attr-defined]
    with connection.transaction as conn:
        assert connection.in_transaction
        conn.execute(table.insert(), [{"item_id": 1}])
        with connection.write() as same:
            assert same is conn
    assert not connection.in_transaction

    def fail_inside() -> None:
        with connection.transaction as conn:
            conn.execute(table.insert(), [{"item_id": 2}])
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_inside()
    nested = connection.transaction
    with connection.transaction, pytest.raises(dj.DataJointError, match="nested"):
        nested.__enter__()
    with connection.engine.connect() as conn:
        assert conn.scalars(sa.select(table.c.item_id)).all() == [1]


def test_declaring_inside_a_transaction_is_refused(
    connection: dj.Connection, new_schema: object
) -> None:
    schema = new_schema("tx")  # type: ignore[operator]

    class Item:
        __tablename__ = "item"
        item_id: Mapped[int] = mapped_column(primary_key=True)

    with connection.transaction, pytest.raises(dj.DataJointError, match="inside a transaction"):
        schema(Item)
    assert schema.list_tables() == []


def _server_questions(conn: sa.Connection) -> int:
    """MySQL's count of the statements this session has sent (the query itself included)."""
    return int(conn.exec_driver_sql("SHOW SESSION STATUS LIKE 'Questions'").one()[1])


def test_a_read_outside_a_transaction_is_one_round_trip(
    backend: str, connection: dj.Connection, new_schema: Any, statements: Any
) -> None:
    schema = new_schema()

    @schema
    class Mouse(dj.Manual):
        definition = """
        mouse_id : int32
        """

    Mouse.insert([(1,), (2,)])
    engine = connection.read_engine
    assert Mouse.to_dicts()  # the pool's connection is open and ready
    with statements(engine) as seen:
        assert len(Mouse.to_dicts()) == 2
        assert len(Mouse()) == 2
        assert {"mouse_id": 1} in Mouse()
    if backend == "sqlite":  # in-process: BEGIN + query per read, no server to reach
        assert engine is connection.engine
        assert [s for s in seen.sql if s != "BEGIN"] == seen.sql[1::2]
        return
    assert engine is not connection.engine
    assert len(seen.sql) == 3  # one statement per read, no BEGIN
    assert seen.commits == 0
    with engine.connect() as conn:  # the read pool's only connection
        dbapi = conn.connection.dbapi_connection
        if backend == "postgresql":  # psycopg2 sends no BEGIN in autocommit mode
            assert dbapi is not None
            assert dbapi.autocommit
        else:  # the server counts what the client sent: one statement, no ROLLBACK
            before = _server_questions(conn)
    if backend == "mysql":
        assert len(Mouse.to_dicts()) == 2
        with engine.connect() as conn:
            assert _server_questions(conn) - before == 2  # the read and this query
    # inside a transaction, reads see its uncommitted rows
    with connection.transaction:
        Mouse.insert1((3,))
        assert len(Mouse()) == 3
    assert len(Mouse()) == 3


def _server_rollbacks(engine: sa.Engine) -> int:
    """MySQL's count of ROLLBACK statements received, server-wide (tests run one at a time)."""
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SHOW GLOBAL STATUS LIKE 'Com_rollback'").one()[1])


def test_a_committed_transaction_sends_no_rollback(
    backend: str, connection: dj.Connection, new_schema: Any
) -> None:
    """PyMySQL would send the ROLLBACK that SQLAlchemy's pool issues after every COMMIT;
    dj_sqla skips it when nothing ran since the commit, and only then. (sqlite3 and psycopg2
    send nothing for a rollback with no transaction open.)"""
    schema = new_schema()

    @schema
    class Mouse(dj.Manual):
        definition = """
        mouse_id : int32
        """

    count = _server_rollbacks if backend == "mysql" else lambda engine: 0
    before = count(connection.read_engine)
    with connection.transaction:
        Mouse.insert1((1,))
    Mouse.insert1((2,))  # a transaction of its own
    assert count(connection.read_engine) == before
    with pytest.raises(dj.DuplicateError):
        Mouse.insert1((1,))  # the failed statement's transaction is rolled back
    if backend == "mysql":
        assert count(connection.read_engine) > before
        with connection.engine.connect() as conn:  # the pooled connection holds no transaction
            assert conn.exec_driver_sql("SELECT @@in_transaction").scalar() == 0
    Mouse.insert1((3,))
    assert [row["mouse_id"] for row in Mouse.to_dicts(order_by="KEY")] == [1, 2, 3]


def test_held_connection_runs_real_transactions(
    backend: str, connection: dj.Connection, new_schema: Any, statements: Any
) -> None:
    """Transactions on a held connection (populate's loop) are atomic and isolated like
    any other, also on PostgreSQL where dj_sqla sends BEGIN and COMMIT itself."""
    schema = new_schema()

    @schema
    class Mouse(dj.Manual):
        definition = """
        mouse_id : int32
        """

    def visible_elsewhere() -> int:
        with connection.read_engine.connect() as other:  # another pooled connection
            query = sa.select(sa.func.count()).select_from(Mouse.__table__)
            return int(other.scalar(query) or 0)

    def fail_after_writes() -> None:
        with connection.transaction:
            Mouse.insert1((2,))
            Mouse.insert([(k,) for k in range(10, 1510)])  # COPY on PostgreSQL
            raise RuntimeError("after the writes")

    with connection.hold_connection():
        with connection.transaction as held:
            Mouse.insert1((1,))
            assert visible_elsewhere() == 0  # not committed yet
        assert visible_elsewhere() == 1
        with pytest.raises(RuntimeError, match="after the writes"):
            fail_after_writes()
        with connection.transaction as again:
            assert again is held  # one connection for the whole block
            assert len(Mouse()) == 1
        with statements(connection.engine) as seen, connection.transaction:
            pass
        # an empty transaction: SQLite's BEGIN and COMMIT, MySQL's COMMIT, nothing on
        # PostgreSQL (its BEGIN waits for a first statement)
        assert seen.round_trips == {"sqlite": 2, "mysql": 1, "postgresql": 0}[backend], seen.sql
        if backend == "postgresql":
            dbapi = held.connection.dbapi_connection
            assert dbapi is not None
            assert dbapi.autocommit  # psycopg2 sends no BEGIN of its own
    assert Mouse.to_dicts() == [{"mouse_id": 1}]
    assert visible_elsewhere() == 1


def test_sqlite_schema_files_keep_their_journal(tmp_path: Path) -> None:
    """A SQLite store commits by zeroing each schema file's journal instead of deleting it
    (several times faster); dropping the schema removes the journal with the file."""
    connection = dj.Connection(f"sqlite:///{tmp_path}/main.db")
    schema = dj.Schema("lab", connection=connection)

    @schema
    class Mouse(dj.Manual):
        definition = """
        mouse_id : int32
        """

    Mouse.insert1((1,))
    with connection.engine.connect() as conn:
        assert conn.exec_driver_sql('PRAGMA "lab".journal_mode').scalar() == "persist"
    assert (tmp_path / "lab.db-journal").exists()

    def fail_after_insert() -> None:
        with connection.transaction:
            Mouse.insert1((2,))
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError, match="roll back"):
        fail_after_insert()
    assert Mouse.to_dicts() == [{"mouse_id": 1}]
    schema.drop(prompt=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main.db"]
    connection.engine.dispose()
