"""Credentials and TLS, on servers of their own that check passwords and offer TLS.

The session's shared servers may trust every login and have no TLS, so this module starts a
MariaDB and a PostgreSQL server with a throwaway certificate (``tests/servers.py``). No
password may appear in an error, a traceback, a ``repr`` or a log line.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import dj_sqla as dj
import servers
from conftest import BACKENDS, leaked, new_password

SERVERS = [name for name in ("mysql", "postgresql") if name in BACKENDS]
#: What each server reports about the connection's encryption.
TLS_IN_USE = {
    "mysql": "SHOW STATUS LIKE 'Ssl_cipher'",
    "postgresql": "SELECT CASE WHEN ssl THEN 'on' ELSE '' END, version FROM pg_stat_ssl "
    "WHERE pid = pg_backend_pid()",
}


@pytest.fixture(scope="module", params=SERVERS)
def secure(request: pytest.FixtureRequest) -> Iterator[servers.Server]:
    """A server of this module's own: passwords checked, TLS offered."""
    start = servers.start_mariadb if request.param == "mysql" else servers.start_postgresql
    server = start(tls=True)
    try:
        yield server
    finally:
        server.stop()


def login(server: servers.Server, *, require_tls: bool = False) -> tuple[sa.URL, str]:
    password = new_password()
    name = f"djc_{'tls' if require_tls else 'plain'}_{password[-6:]}"
    url = servers.create_user(server.url, name, password, require_tls=require_tls)
    return sa.make_url(url), password


def encrypted(conn: dj.Connection) -> bool:
    """Whether both pools (writes, and the autocommit reads) connect with TLS."""
    sql = TLS_IN_USE[conn.backend.name]
    column = 1 if conn.backend.name == "mysql" else 0
    written = conn.query(sql).fetchone()
    read = conn.run_read(lambda sa_conn: sa_conn.exec_driver_sql(sql).fetchone())
    assert bool(written and written[column]) == bool(read and read[column])
    return bool(written and written[column])


def clean(error: BaseException, password: str) -> str:
    text = "".join(traceback.format_exception(error))
    assert password not in text, text
    return str(error)


def test_a_wrong_password_is_refused_without_showing_it(secure: servers.Server) -> None:
    url, password = login(secure)
    wrong = new_password()
    conn = dj.Connection(url.set(password=wrong))
    with pytest.raises(dj.AccessError) as error:
        conn.query("SELECT 1")
    message = clean(error.value, wrong)
    assert url.username in message
    assert "refused the login" in message
    assert wrong not in repr(conn)
    assert wrong not in str(conn.engine.url)
    conn.engine.dispose()
    right = dj.Connection(url)
    assert right.query("SELECT 1").fetchone()[0] == 1
    assert password not in repr(right) + str(right.engine.url) + str(right.conn_info)
    right.engine.dispose()


@pytest.mark.parametrize("use_tls", [True, False, "ca"])
def test_use_tls(secure: servers.Server, use_tls: bool | str) -> None:
    url, password = login(secure)
    assert secure.certificate is not None
    tls = {"ca": str(secure.certificate.ca)} if use_tls == "ca" else use_tls
    conn = dj.Connection(url, use_tls=tls)
    try:
        assert encrypted(conn) is (use_tls is not False)
        assert conn.conn_info["ssl_input"] == tls
        assert ("ssl" in conn.conn_info) is (use_tls is not False)
        assert password not in repr(conn.conn_info)
    finally:
        conn.engine.dispose()


def test_a_certificate_from_another_ca_is_refused(secure: servers.Server, tmp_path: Path) -> None:
    url, password = login(secure)
    other = servers.make_certificate(tmp_path)
    conn = dj.Connection(url, use_tls={"ca": str(other.ca)})
    with pytest.raises(dj.LostConnectionError, match="could not agree on TLS") as error:
        conn.query("SELECT 1")
    assert "certificate" in clean(error.value, password).lower()
    assert not conn.is_connected
    conn.engine.dispose()


def test_a_user_who_must_use_tls(secure: servers.Server) -> None:
    url, password = login(secure, require_tls=True)
    refused = dj.Connection(url, use_tls=False)
    with pytest.raises(dj.AccessError) as error:
        refused.query("SELECT 1")
    clean(error.value, password)
    assert not refused.is_connected
    refused.engine.dispose()
    accepted = dj.Connection(url, use_tls=True)
    assert encrypted(accepted)
    accepted.engine.dispose()


def test_tls_and_credentials_from_settings(secure: servers.Server) -> None:
    url, password = login(secure)
    assert secure.certificate is not None
    instance = dj.Instance(
        f"{url.host}:{url.port}",
        url.username,
        password,
        backend=secure.name,
        database__use_tls={"ca": str(secure.certificate.ca)},
    )
    try:
        assert encrypted(instance.connection)
        assert password not in repr(instance) + repr(instance.connection) + repr(instance.config)
    finally:
        instance.connection.engine.dispose()


def test_settings_files_keep_passwords_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    password = new_password()
    config = dj.config.__class__()
    config["database.password"] = password
    config["database.url"] = f"postgresql://lab:{password}@db.example/lab"
    assert password not in repr(config)
    with caplog.at_level(logging.DEBUG), pytest.warns(UserWarning, match="not written"):
        path = config.save(tmp_path / "dj_local_conf.json", verbose=True)
    saved = path.read_text()
    assert password not in saved
    assert json.loads(saved)["database.url"] == "postgresql://lab@db.example/lab"
    kept = config.save(tmp_path / "with_password.json", include_password=True).read_text()
    assert json.loads(kept)["database.password"] == password
    assert password not in caplog.text


def test_an_unreadable_url_is_refused_without_its_password() -> None:
    password = new_password()
    with pytest.raises(dj.DataJointError) as error:
        dj.Connection(f"mysql+pymysql://lab:{password}@db.example:notaport")
    assert "***" in clean(error.value, password)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_tls_options_that_cannot_apply(backend: str, tmp_path: Path) -> None:
    with pytest.raises(dj.DataJointError, match="TLS applies to MySQL and PostgreSQL"):
        dj.Connection(f"sqlite:///{tmp_path / 'main.db'}", use_tls=True)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'main.db'}")
    with pytest.raises(dj.DataJointError, match="Engine connects with its own"):
        dj.Connection(engine, use_tls=True)
    with pytest.raises(dj.DataJointError, match="unknown key"):
        dj.Connection("postgresql+psycopg2://u@127.0.0.1/db", use_tls={"certificate": "x"})
    for name in ("grant", "revoke"):
        schema = dj.Schema("lab", connection=dj.Connection(f"sqlite:///{tmp_path / 'main.db'}"))
        with pytest.raises(dj.DataJointError, match="sqlite has no users"):
            getattr(schema, name)("alice", "read")
    with pytest.raises(dj.DataJointError, match="sqlite has no users"):
        schema.privileges()
    assert leaked(repr(schema)) is None
    engine.dispose()
