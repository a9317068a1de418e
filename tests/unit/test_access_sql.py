"""Access control without a server: GRANT/REVOKE compiled per dialect, names refused before
anything is sent, refusals read from the drivers' messages, and TLS arguments."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

import dj_sqla as dj
from dj_sqla.backends import _postgresql_access as pg_access
from dj_sqla.backends._access import (
    GrantOn,
    User,
    check_level,
    qualified_table,
    statement_privilege,
)
from dj_sqla.backends.mysql import MySQLBackend
from dj_sqla.backends.postgresql import PostgreSQLBackend


def compiled(statement: Any, dialect: Any) -> tuple[str, dict[str, Any]]:
    done = statement.compile(dialect=dialect)
    return str(done), dict(done.params)


def test_mysql_grants_on_the_database_with_user_and_host_bound() -> None:
    text, params = compiled(
        GrantOn(("SELECT", "INSERT"), "schema", "lab_1", User.parse("alice@10.0.%")),
        mysql.dialect(),
    )
    # `_` is a wildcard in database-level grants: escaped, so lab_1 never matches labx1
    assert text == "GRANT SELECT, INSERT ON `lab\\_1`.* TO %s@%s"
    assert params == {"user": "alice", "host": "10.0.%"}
    revoke, _ = compiled(
        GrantOn(("ALL PRIVILEGES",), "schema", "lab", User("bob"), revoke=True), mysql.dialect()
    )
    assert revoke == "REVOKE ALL PRIVILEGES ON `lab`.* FROM %s@%s"


def test_postgresql_grants_quote_names_and_cover_later_tables() -> None:
    dialect = postgresql.dialect()
    user = User.parse("Alice", hosts=False)
    assert compiled(GrantOn(("USAGE",), "schema", "lab$1", user), dialect)[0] == (
        'GRANT USAGE ON SCHEMA lab$1 TO "Alice"'
    )
    assert compiled(GrantOn(("SELECT",), "tables", "lab", user, revoke=True), dialect)[0] == (
        'REVOKE SELECT ON ALL TABLES IN SCHEMA lab FROM "Alice"'
    )
    later = GrantOn(("USAGE", "SELECT"), "sequences", "lab", user, default_for="carol")
    assert compiled(later, dialect)[0] == (
        "ALTER DEFAULT PRIVILEGES FOR ROLE carol IN SCHEMA lab GRANT USAGE, SELECT ON "
        'SEQUENCES TO "Alice"'
    )


@pytest.mark.parametrize("name", ["x'; DROP TABLE t; --", "a b", "", 'q"uote', "a@b c", "é"])
def test_malformed_user_names_are_refused(name: str) -> None:
    with pytest.raises(dj.DataJointError, match="cannot be a user name"):
        User.parse(name)


def test_levels_and_hosts_are_checked() -> None:
    with pytest.raises(dj.DataJointError, match="not a privilege level"):
        check_level("owner")
    with pytest.raises(dj.DataJointError, match="no host part"):
        User.parse("alice@localhost", hosts=False)
    with pytest.raises(dj.DataJointError, match="is a string"):
        User.parse(42)
    with pytest.raises(dj.DataJointError, match="Cannot grant"):
        GrantOn(("SELECT; DROP",), "schema", "lab", User("a"))


def test_the_privilege_a_statement_needs() -> None:
    assert statement_privilege("SELECT 1") == "SELECT"
    assert statement_privilege("BEGIN; UPDATE t SET a = 1") == "UPDATE"
    assert statement_privilege("INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = a") == (
        "INSERT and UPDATE"
    )
    assert statement_privilege("COPY s.t (a) FROM STDIN") == "INSERT"
    assert qualified_table("#kind", 'SELECT * FROM lab."#kind"') == "`lab`.`#kind`"
    assert qualified_table("t", "SELECT 1") == "`t`"


class _PyMySQLError(Exception):
    """What PyMySQL raises: (number, message)."""


class _Psycopg2Error(Exception):
    def __init__(self, message: str, pgcode: str | None) -> None:
        super().__init__(message)
        self.pgcode = pgcode


@pytest.fixture
def my() -> MySQLBackend:
    return MySQLBackend(sa.create_engine("mysql+pymysql://djuser:pw-x@db.lab:3306"))


@pytest.fixture
def pg() -> PostgreSQLBackend:
    return PostgreSQLBackend(sa.create_engine("postgresql+psycopg2://djuser:pw-x@db.lab/lab"))


def test_mysql_refusals_name_the_table_and_privilege(my: MySQLBackend) -> None:
    denied = my.access_error(
        _PyMySQLError(
            1142, "DELETE command denied to user 'djuser'@'10.1.2.3' for table `lab`.`session`"
        ),
        "DELETE FROM lab.session",
    )
    assert denied is not None
    text = str(denied)
    assert "`djuser` lacks the DELETE privilege on table `lab`.`session`" in text
    assert "schema.grant('djuser', 'write')" in text
    assert "pw-x" not in text
    mysql8 = my.access_error(
        _PyMySQLError(1142, "INSERT command denied to user 'u'@'h' for table 'mouse'"), None
    )
    assert "table `mouse`" in str(mysql8)
    database = my.access_error(
        _PyMySQLError(1044, "Access denied for user 'u'@'%' to database 'lab'"),
        "CREATE DATABASE IF NOT EXISTS `lab`",
    )
    assert "CREATE privilege on schema `lab`" in str(database)
    assert my.access_error(_PyMySQLError(1062, "Duplicate entry"), "INSERT") is None
    assert my.refused_login(_PyMySQLError(1045, "Access denied for user 'u'@'h'"))
    login = my.login_error(_PyMySQLError(1045, "Access denied"))
    assert "refused the login of user `djuser`" in str(login)
    assert "pw-x" not in str(login)


def test_postgresql_refusals_take_schema_and_privilege_from_the_statement(
    pg: PostgreSQLBackend,
) -> None:
    table = pg.access_error(
        _Psycopg2Error("permission denied for table __score\n", "42501"),
        "DELETE FROM lab.__score WHERE lab.__score.id = %(id)s",
    )
    assert "DELETE privilege on table `lab`.`__score`" in str(table)
    created = pg.access_error(
        _Psycopg2Error("permission denied for schema lab\nLINE 1: ...", "42501"),
        'CREATE TABLE lab."#kind" (kind VARCHAR(8))',
    )
    assert "CREATE privilege on schema `lab` (to create table `lab`.`#kind`)" in str(created)
    owner = pg.access_error(
        _Psycopg2Error("must be owner of table note\n", "42501"), "DROP TABLE lab.note"
    )
    assert "not the owner of table `lab`.`note`" in str(owner)
    sequence = pg.access_error(
        _Psycopg2Error("permission denied for sequence note_id_seq\n", "42501"),
        "INSERT INTO lab.note (text) VALUES ('x')",
    )
    assert "USAGE privilege on sequence" in str(sequence)
    assert pg.access_error(_Psycopg2Error("duplicate key", "23505"), "INSERT") is None
    assert pg.refused_login(
        _Psycopg2Error("connection to server failed: FATAL:  password authentication failed", None)
    )
    assert not pg.refused_login(_Psycopg2Error("connection to server failed: refused", None))


def test_tls_arguments_per_driver() -> None:
    assert MySQLBackend.tls_connect_args(False) == {"ssl_disabled": True}
    assert MySQLBackend.tls_connect_args(True) == {
        "ssl": {"verify_mode": False, "check_hostname": False}
    }
    assert MySQLBackend.tls_connect_args({"ca": "ca.pem"}) == {
        "ssl": {"ca": "ca.pem", "verify_mode": True, "check_hostname": True}
    }
    assert pg_access.tls_connect_args(True) == {"sslmode": "require"}
    assert pg_access.tls_connect_args(False) == {"sslmode": "disable"}
    assert pg_access.tls_connect_args({"ca": "ca.pem", "cert": "c", "key": "k"}) == {
        "sslmode": "verify-full",
        "sslrootcert": "ca.pem",
        "sslcert": "c",
        "sslkey": "k",
    }
    assert pg_access.tls_connect_args({"ca": "ca.pem", "check_hostname": False}) == {
        "sslmode": "verify-ca",
        "sslrootcert": "ca.pem",
    }
    with pytest.raises(dj.ConfigError, match="not supported on PostgreSQL"):
        pg_access.tls_connect_args({"capath": "/etc/ssl"})
    with pytest.raises(dj.ConfigError, match="use True"):
        MySQLBackend.tls_connect_args("yes")  # type: ignore[arg-type]
