"""DataJoint's connection API on every backend: host/user/password, ``conn.query``, manual
transactions, ``ping``, ``get_user``, ``init_fun``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

import dj_sqla as dj
from dj_sqla.connection import conn as default_conn

#: per backend: an init_fun and the query (with its expected answer) that shows it ran
INIT = {
    "sqlite": ("PRAGMA cache_size = -1234", "PRAGMA cache_size", -1234),
    "mysql": ("SET SESSION sql_select_limit = 777", "SELECT @@SESSION.sql_select_limit", 777),
    "postgresql": ("SET application_name = 'djt_init'", "SHOW application_name", "djt_init"),
}


@pytest.fixture
def table(connection: dj.Connection, new_schema: Callable[..., dj.Schema]) -> str:
    schema = new_schema("raw")

    @schema
    class Note(dj.Manual):
        definition = "note_id : int32\n---\ntext : varchar(40)"

    return str(Note.full_table_name)


def test_query_binds_arguments_in_datajoint_style(connection: dj.Connection, table: str) -> None:
    inserted = connection.query(
        f"INSERT INTO {table} (note_id, text) VALUES (%s, %s), (%s, %s)", (1, "a 100%", 2, "b")
    )
    assert inserted.rowcount == 2
    rows = connection.query(
        f"SELECT note_id, text FROM {table} WHERE text LIKE %s ORDER BY note_id", ("%100%%",)
    ).fetchall()
    assert rows == [(1, "a 100%")]
    result = connection.query(
        f"SELECT note_id FROM {table} WHERE text LIKE 'b%%' OR note_id = %s", (1,), as_dict=True
    )
    assert sorted(r["note_id"] for r in result) == [1, 2]
    one = connection.query(f"SELECT count(*) FROM {table}")
    assert one.fetchone() == (2,)
    assert one.fetchone() is None
    # a value is a bound parameter, never SQL
    hostile = "x'); DROP TABLE t; --"
    assert connection.query(
        f"SELECT count(*) FROM {table} WHERE text = %s", (hostile,)
    ).fetchall() == [(0,)]


def test_manual_transactions_commit_and_cancel(connection: dj.Connection, table: str) -> None:
    connection.start_transaction()
    assert connection.in_transaction
    connection.query(f"INSERT INTO {table} (note_id, text) VALUES (%s, %s)", (1, "kept"))
    connection.commit_transaction()
    assert not connection.in_transaction
    connection.start_transaction()
    connection.query(f"INSERT INTO {table} (note_id, text) VALUES (%s, %s)", (2, "dropped"))
    assert connection.query(f"SELECT count(*) FROM {table}").fetchall() == [(2,)]
    connection.cancel_transaction()
    assert connection.query(f"SELECT note_id FROM {table}").fetchall() == [(1,)]
    with pytest.raises(dj.DataJointError, match="no transaction was started"):
        connection.commit_transaction()
    connection.start_transaction()
    with pytest.raises(dj.DataJointError, match="already open"):
        connection.start_transaction()
    connection.cancel_transaction()


def test_ping_user_close_and_connect(connection: dj.Connection, backend: str) -> None:
    connection.ping()
    assert connection.is_connected
    user = connection.get_user()
    assert isinstance(user, str)
    assert user
    if backend != "sqlite":
        assert user.split("@")[0] == connection.engine.url.username
    connection.close()
    connection.connect()  # new pooled connections
    assert connection.query("SELECT 1").fetchall() == [(1,)]
    info = connection.conn_info
    assert info["backend"] == connection.backend.name
    assert "password" not in info
    if backend != "sqlite":
        assert info["host"] == connection.engine.url.host


def test_a_server_that_does_not_answer_is_a_lost_connection(backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":  # embedded: there is no server to lose, but a store may not open
        (tmp_path / "a_file").write_text("")
        with pytest.raises(dj.ConfigError, match="cannot be created"):
            dj.Connection(f"sqlite:///{tmp_path}/a_file/store/main.db")
        return
    url = {
        "mysql": "mysql+pymysql://u:p@127.0.0.1:1/",
        "postgresql": "postgresql+psycopg2://u:p@127.0.0.1:1/postgres",
    }[backend]
    lost = dj.Connection(url)
    assert not lost.is_connected
    with pytest.raises(dj.LostConnectionError, match="does not answer"):
        lost.ping()


def test_init_fun_runs_on_every_new_connection(db_url: str, backend: str) -> None:
    init, probe, expected = INIT[backend]
    connection = dj.Connection(db_url, init_fun=init)
    try:
        assert connection.query(probe).fetchall()[0][0] == expected
        with connection.read() as conn:  # the read pool too
            assert conn.exec_driver_sql(probe).scalar() == expected
    finally:
        connection.engine.dispose()


def test_host_user_password_build_the_url(db_url: str, backend: str) -> None:
    url = sa.make_url(db_url)
    if backend == "sqlite":
        with (
            dj.config.override(database__backend="sqlite"),
            pytest.raises(dj.ConfigError, match="a host needs a server backend"),
        ):
            dj.Connection("localhost", "me", "secret")
        return
    with dj.config.override(database__backend=backend, database__name=url.database):
        connection = dj.Connection(str(url.host), url.username, url.password, port=url.port)
        try:
            assert connection.backend.name == backend
            assert connection.query("SELECT 1").fetchall() == [(1,)]
        finally:
            connection.engine.dispose()
        host_port = f"{url.host}:{url.port}"
        default = dj.conn(host_port, url.username, url.password, reset=True)
        try:
            assert default is default_conn()
            assert default.conn_info["port"] == url.port
            assert default.query("SELECT 1").fetchall() == [(1,)]
        finally:
            default.engine.dispose()
            dj.conn("sqlite://", reset=True)


def test_use_tls_false_connects_without_tls(backend: str, db_url: str) -> None:
    """DataJoint's insecure-connection check (TLS itself: test_credentials.py)."""
    if backend == "sqlite":  # no network connection to encrypt
        with pytest.raises(dj.ConfigError, match="TLS applies to MySQL and PostgreSQL"):
            dj.Connection(db_url, use_tls=True)
        return
    connection = dj.Connection(db_url, use_tls=False)
    try:
        assert connection.conn_info["ssl_input"] is False
        assert "ssl" not in connection.conn_info
        assert connection.query("SELECT 1").fetchone()[0] == 1
    finally:
        connection.engine.dispose()


def test_host_as_a_keyword_with_its_port_over_the_configured_one(db_url: str, backend: str) -> None:
    """``dj.Connection(host=..., user=..., password=...)``, as DataJoint's own fixtures call it;
    a port written in the host wins over ``database.port``, which is only a default."""
    url = sa.make_url(db_url)
    if backend == "sqlite":
        with pytest.raises(dj.ConfigError, match="a host needs a server backend"):
            dj.Connection(host="localhost", user="me", password="secret", backend="sqlite")
        return
    other = "mysql" if backend == "postgresql" else "postgresql"
    with dj.config.override(database__backend=other, database__port=1):
        connection = dj.Connection(
            host=f"{url.host}:{url.port}",
            user=url.username,
            password=url.password,
            backend=backend,
            database_name=url.database,
        )
    try:
        assert connection.backend.name == backend
        assert connection.conn_info["port"] == url.port
        assert connection.query("SELECT 1").fetchall() == [(1,)]
    finally:
        connection.engine.dispose()


def test_closed_until_used_again(db_url: str) -> None:
    """As in DataJoint: after close() a connection is not connected, and its next use
    reconnects."""
    connection = dj.Connection(db_url)
    assert connection.is_connected
    assert "(connected)" in repr(connection)
    connection.close()
    assert not connection.is_connected
    assert "(closed)" in repr(connection)
    assert connection.query("SELECT 1").fetchall() == [(1,)]
    assert connection.is_connected
    with dj.Connection(db_url) as scoped:
        assert len(scoped.query("SELECT 1").fetchall()) == 1
    assert not scoped.is_connected


def test_a_connection_needs_exactly_one_target(db_url: str) -> None:
    with pytest.raises(dj.ConfigError, match="needs one target"):
        dj.Connection()
    with pytest.raises(dj.ConfigError, match="needs one target"):
        dj.Connection(db_url, host="localhost")
