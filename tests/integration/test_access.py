"""Access control, run as limited users: the privilege matrix, grants, revokes, refusals.

An administrator (the test server's superuser) declares a small pipeline and grants one
level to a login that starts with no privileges; that login then runs every operation. Each
one either works or raises ``dj.AccessError`` naming the table and the privilege, with nothing
written (the administrator's view of every table is unchanged). On SQLite, which has no users,
each access-control call raises a clear error.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest

import dj_sqla as dj
from conftest import LEVELS, Login, count_statements, leaked

#: The levels allowed to do each operation (``drop`` of a table someone else declared is
#: checked apart: PostgreSQL leaves it to the table's owner).
ALLOWED = {
    "insert": {"write", "declare", "all"},
    "update": {"write", "declare", "all"},
    "delete": {"write", "declare", "all"},
    "populate": {"write", "declare", "all"},
    "declare": {"declare", "all"},
}
#: Statement kinds a read-only activation and read must never send.
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "ALTER", "DROP", "GRANT", "COPY")


def pipeline(schema: dj.Schema) -> SimpleNamespace:
    """The tables of the tests, decorated with ``schema`` (a new class set per call)."""

    @schema
    class Subject(dj.Manual):
        definition = """
        subject_id : int32
        ---
        name = '' : varchar(20)
        """

    @schema
    class Kind(dj.Lookup):
        definition = """
        kind : varchar(8)
        """
        contents = [("a",), ("b",)]

    @schema
    class Session(dj.Manual):
        definition = """
        -> Subject
        session : int16
        ---
        -> Kind
        """

    @schema
    class Score(dj.Computed):
        definition = """
        -> Session
        ---
        score : float64
        """

        def make(self, key: dict[str, Any]) -> None:
            self.insert1(dict(key, score=key["session"] / 2))

    @schema
    class Note(dj.Manual):
        definition = """
        note_id : int32 auto_increment
        ---
        text = '' : varchar(40)
        """

    return SimpleNamespace(
        Subject=Subject, Kind=Kind, Session=Session, Score=Score, Note=Note, schema=schema
    )


def filled(schema: dj.Schema) -> SimpleNamespace:
    """The pipeline declared by the administrator, with rows, one computed subject and the
    job table of ``Score`` (created by reading ``Score.jobs``)."""
    tables = pipeline(schema)
    tables.Subject.insert([(1, "ann"), (2, "bob"), (3, "cy")])
    tables.Session.insert([(1, 1, "a"), (1, 2, "b"), (2, 1, "a"), (2, 2, "a"), (3, 1, "b")])
    tables.Note.insert1({"text": "first"})
    tables.Score.populate({"subject_id": 3})
    assert tables.Score.jobs.progress()["pending"] == 0
    return tables


def snapshot(tables: SimpleNamespace) -> dict[str, Any]:
    """Everything the administrator sees: the table list and every row (jobs included)."""
    view: dict[str, Any] = {"tables": tables.schema.list_tables()}
    for name in ("Subject", "Kind", "Session", "Score", "Note"):
        view[name] = sorted(map(repr, getattr(tables, name).to_dicts()))
    view["jobs"] = sorted(map(repr, tables.Score.jobs.proj().to_dicts()))
    return view


@contextmanager
def user_connection(login: Login) -> Iterator[dj.Connection]:
    conn = dj.Connection(login.url)
    try:
        yield conn
    finally:
        conn.engine.dispose()


def refused(error: pytest.ExceptionInfo[dj.AccessError], table: str, privilege: str) -> None:
    """The AccessError names the table and the privilege, and no password."""
    text = str(error.value)
    assert table in text, text
    assert privilege in text, text
    assert leaked("".join(traceback.format_exception(error.value))) is None


class Attempts:
    """Runs operations as a user: allowed ones must work, the others must raise AccessError
    and leave the administrator's view unchanged."""

    def __init__(self, admin: SimpleNamespace, level: str, database: str) -> None:
        self.admin, self.level, self.database = admin, level, database

    def run(self, operation: str, work: Callable[[], Any], table: str, privilege: str) -> bool:
        if self.level in ALLOWED[operation]:
            work()
            return True
        before = snapshot(self.admin)
        with pytest.raises(dj.AccessError) as error:
            work()
        refused(error, f"`{self.database}`.`{table}`", privilege)
        assert snapshot(self.admin) == before
        return False


@pytest.mark.parametrize("level", LEVELS)
def test_privilege_matrix(
    level: str, backend: str, logins: dict[str, Login], new_schema: Callable[..., dj.Schema]
) -> None:
    admin = filled(new_schema("acc"))
    database = str(admin.schema.database)
    if backend == "sqlite":
        with pytest.raises(dj.DataJointError, match="sqlite has no users"):
            admin.schema.grant("alice", level)
        return
    login = logins[level]
    admin.schema.grant(login.name, level)
    attempt = Attempts(admin, level, database)
    with user_connection(login) as conn, dj.config.override(safemode=False):
        # activating, listing, describing and fetching send no write of any kind
        with count_statements(conn.engine) as sent, count_statements(conn.read_engine) as read:
            schema = dj.Schema(database, connection=conn, create_schema=False, create_tables=False)
            mine = pipeline(schema)
            assert schema.list_tables() == admin.schema.list_tables()
            assert "session : int16" in mine.Session.describe()
            assert len(mine.Subject & "subject_id > 1") == 2
            assert (mine.Score & {"subject_id": 3}).fetch1("score") == 0.5
        statements = [s.lstrip().upper() for s in sent.sql + read.sql]
        assert not [s for s in statements if s.startswith(WRITES)], statements
        with user_connection(login) as other, count_statements(other.read_engine) as seen:
            # on a connection of its own: a second Schema of one name replaces the first there
            virtual = dj.virtual_schema(database, connection=other)
            assert len(virtual.Session()) == 5
            assert not [s for s in seen.sql if s.lstrip().upper().startswith(WRITES)]
        with user_connection(login) as other, count_statements(other.engine) as seen:
            # the default flags too: every table exists, so nothing is created or filled
            pipeline(dj.Schema(database, connection=other))
            assert not [s for s in seen.sql if s.lstrip().upper().startswith(WRITES)]

        attempt.run("insert", lambda: mine.Subject.insert1((4, "dee")), "subject", "INSERT")
        attempt.run("insert", lambda: mine.Note.insert1({"text": "auto"}), "note", "INSERT")
        attempt.run(
            "update",
            lambda: mine.Subject.update1({"subject_id": 1, "name": "anne"}),
            "subject",
            "UPDATE",
        )
        if attempt.run(
            "delete", lambda: (mine.Subject & {"subject_id": 3}).delete(), "__score", "DELETE"
        ):
            assert not admin.Session & {"subject_id": 3}
            assert not admin.Score & {"subject_id": 3}
        if attempt.run(
            "populate", lambda: mine.Score.populate({"subject_id": 1}), "__score", "INSERT"
        ):
            assert len(admin.Score & {"subject_id": 1}) == 2
        # with jobs: the administrator declared the job table, the user needs to write it
        if attempt.run(
            "populate",
            lambda: mine.Score.populate({"subject_id": 2}, reserve_jobs=True),
            "~~score",
            "DELETE",  # refreshing the jobs closes finished ones first
        ):
            assert len(admin.Score & {"subject_id": 2}) == 2
            assert admin.Score.jobs.progress()["reserved"] == 0

        with user_connection(login) as declaring:
            extra = dj.Schema(database, connection=declaring, create_schema=False)

            def declare() -> None:
                @extra
                class Extra(dj.Manual):
                    definition = """
                    extra_id : int32
                    """

                Extra.insert1((1,))
                Extra.drop()  # a table the user declared: its own to drop

            attempt.run("declare", declare, "extra", "CREATE")
        assert "extra" not in admin.schema.list_tables()

        # dropping a table the administrator declared: MySQL's DROP comes with "declare";
        # PostgreSQL lets only a table's owner drop it
        may_drop = level in ("declare", "all") and backend == "mysql"
        if may_drop:
            mine.Note.drop()
            assert "note" not in admin.schema.list_tables()
        else:
            before = snapshot(admin)
            with pytest.raises(dj.AccessError) as error:
                mine.Note.drop()
            refused(error, f"`{database}`.`note`", "owner" if backend == "postgresql" else "DROP")
            assert snapshot(admin) == before
