"""Virtual schemas of tables that no definition made (a plain SQLAlchemy application's), and
of schemas whose tables reference schemas nobody loaded, on every backend."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable

import sqlalchemy as sa

import dj_sqla as dj


def plain_tables(name: str) -> tuple[sa.MetaData, sa.Table]:
    md = sa.MetaData(schema=name)
    account = sa.Table(
        "account",
        md,
        sa.Column("id", sa.Integer, primary_key=True),  # SERIAL on PostgreSQL
        sa.Column("login", sa.String(30), nullable=False, server_default="guest"),
        sa.Column("nickname", sa.String()),  # no length: fine on SQLite and PostgreSQL
        sa.Column("notes", sa.Text, comment="free text"),
        sa.Column("visits", sa.BigInteger),
        sa.Column("level", sa.SmallInteger),
        sa.Column("joined", sa.DateTime),
        sa.Column("born", sa.Date),
        sa.Column("active", sa.Boolean),
        sa.Column("ratio", sa.Float),
        sa.Column("balance", sa.Numeric(10, 2)),
        sa.Column("payload", sa.LargeBinary),
        sa.Column("prefs", sa.JSON),
        sa.Column("token", sa.Uuid),
        sa.Column("mood", sa.Enum("happy", "sad", name="mood_t")),
    )
    sa.Table(
        "account_login",
        md,
        sa.Column("login_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("account_id", sa.ForeignKey(account.c.id), nullable=False),
    )
    return md, account


ROW = {
    "id": 1,
    "login": "ada",
    "nickname": "A" * 300,
    "notes": "n",
    "visits": 2**40,
    "level": 3,
    "joined": dt.datetime(2026, 1, 2, 3, 4, 5),
    "born": dt.date(2000, 1, 1),
    "active": True,
    "ratio": 0.5,
    "balance": decimal.Decimal("12.34"),
    "payload": b"\x00raw\xff",
    "prefs": {"theme": "dark"},
    "token": uuid.UUID(int=7),
    "mood": "sad",
}


def test_a_plain_sqlalchemy_schema_reflects(
    connection: dj.Connection, schema_name: Callable[[str], str], db_url: str
) -> None:
    name = schema_name("plain")
    dj.Schema(name, connection=connection)  # creates the schema, nothing in it
    md, account = plain_tables(name)
    if connection.backend.name == "mysql":  # MySQL needs a VARCHAR length
        account.c.nickname.type = sa.String(300)
    with connection.engine.begin() as conn:
        md.create_all(conn)
        conn.execute(account.insert(), ROW)

    reader = dj.Connection(db_url)  # a process that knows nothing of the application
    module = dj.virtual_schema(name, connection=reader)
    text = module.Account.describe()
    assert "login = 'guest' : varchar(30)" in text
    assert "-> Account" in module.AccountLogin.describe()
    got = module.Account.fetch1()
    expected = dict(ROW)
    if reader.backend.name == "sqlite":
        # SQLite keeps no comment, stores a non-native enum as varchar + CHECK and a uuid as
        # its 32 hex digits: what the database holds is all there is to read
        assert "mood = null : varchar(5)" in text
        expected["token"] = ROW["token"].hex
    else:
        assert "notes = null : text  # free text" in text
        assert "mood = null : enum('happy','sad')" in text
    if reader.backend.name == "mysql":
        expected["prefs"] = '{"theme": "dark"}'  # MariaDB's JSON is LONGTEXT: text comes back
        # DataJoint 0.14 made blobs on MySQL: a blob without a type marker is read as its
        # serialized blob there, so an application's raw binary column is left out here
        expected.pop("payload")
        got.pop("payload")
        got["active"] = bool(got["active"])  # a BOOL is a TINYINT there
    assert got == expected
    module.AccountLogin.insert1({"login_id": 1, "account_id": 1})
    assert (module.Account * module.AccountLogin).fetch("login_id").tolist() == [1]
    reader.engine.dispose()


def test_referenced_schemas_load_by_themselves(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema], db_url: str
) -> None:
    lab, exp = new_schema("lab"), new_schema("exp")

    @lab
    class Mouse(dj.Manual):
        definition = """
        mouse_id : int32
        """

    @exp
    class Session(dj.Manual):
        definition = """
        -> Mouse
        session : int16
        """

    _ = Session  # declared for the reader below
    Mouse.insert1({"mouse_id": 1})
    exp_name, lab_name = str(exp.database), str(lab.database)

    reader = dj.Connection(db_url)
    module = dj.virtual_schema(exp_name, connection=reader)  # lab was never loaded here
    assert reader.schema_named(lab_name) is not None
    module.Session.insert1({"mouse_id": 1, "session": 1})
    assert module.Session.to_dicts() == [{"mouse_id": 1, "session": 1}]
    parent = next(iter(module.Session.__table__.foreign_keys)).column.table
    assert (parent.schema, parent.name) == (lab_name, "mouse")
    reader.engine.dispose()
