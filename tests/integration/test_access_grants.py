"""Grants on the servers: who has what, revoking a step down, tables declared later, a
cascade into a schema the user may not delete from, job tables, and refused requests.

Only MySQL and PostgreSQL have users; SQLite's refusal is in ``test_access.py``.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from test_access import filled, pipeline, snapshot, user_connection

import dj_sqla as dj
from conftest import BACKENDS, Login, Names, leaked


@pytest.fixture(params=[b for b in BACKENDS if b != "sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """The server backends only (this module's tests are about database users)."""
    return str(request.param)


@contextmanager
def as_user(login: Login, database: str, **options: bool) -> Iterator[dj.Schema]:
    """``database`` activated by ``login`` (no DDL unless ``create_tables=True``)."""
    with user_connection(login) as conn:
        options.setdefault("create_tables", False)
        yield dj.Schema(database, connection=conn, create_schema=False, **options)


def denied(error: pytest.ExceptionInfo[dj.AccessError], *parts: str) -> None:
    text = str(error.value)
    assert all(part in text for part in parts), text
    assert leaked("".join(traceback.format_exception(error.value))) is None


def parents_and_children(
    new_schema: Callable[..., dj.Schema],
) -> tuple[SimpleNamespace, dj.Schema, type[dj.Manual]]:
    """The filled pipeline, and a second schema whose ``Visit`` references its subjects."""
    admin = filled(new_schema("parents"))
    other = new_schema("children")

    @other
    class Visit(dj.Manual):
        definition = """
        -> admin.Subject
        visit : int16
        """

    Visit.insert([(1, 1), (3, 1)])
    return admin, other, Visit


def test_privileges_list_each_level_and_revoke_steps_down(
    logins: dict[str, Login], new_schema: Callable[..., dj.Schema]
) -> None:
    admin = filled(new_schema("grants"))
    schema = admin.schema
    for level, login in logins.items():
        schema.grant(login.name, level)
    listed = schema.privileges()
    assert {name: listed[name] for name in (login.name for login in logins.values())} == {
        login.name: level for level, login in logins.items()
    }
    schema.revoke(logins["write"].name, "write")  # down to read
    schema.revoke(logins["all"].name, "all")  # down to declare
    schema.revoke(logins["read"].name)  # nothing left
    listed = schema.privileges()
    assert listed[logins["write"].name] == "read"
    assert listed[logins["all"].name] == "declare"
    assert listed[logins["declare"].name] == "declare"
    assert logins["read"].name not in listed
    with as_user(logins["write"], str(schema.database)) as mine:
        tables = pipeline(mine)
        assert len(tables.Subject()) == 3  # still reads
        with pytest.raises(dj.AccessError) as error:
            tables.Subject.insert1((9, "zed"))
        denied(error, "subject", "INSERT")
    with (
        pytest.raises((dj.AccessError, dj.SchemaMissingError)),
        as_user(logins["read"], str(schema.database)) as mine,
    ):
        len(pipeline(mine).Subject())  # MySQL hides the schema, PostgreSQL refuses USAGE


def test_grants_cover_tables_declared_later(
    logins: dict[str, Login], new_schema: Callable[..., dj.Schema]
) -> None:
    schema = new_schema("later")
    database = str(schema.database)
    for level in ("read", "write", "declare"):
        schema.grant(logins[level].name, level)

    @schema
    class ByAdmin(dj.Manual):
        definition = """
        a : int32
        """

    with as_user(logins["declare"], database, create_tables=True) as declaring:

        @declaring
        class ByDeclarer(dj.Manual):
            definition = """
            b : int32 auto_increment
            ---
            note = '' : varchar(8)
            """

        ByDeclarer.insert1({"note": "x"})

    for level in ("read", "write"):
        with as_user(logins[level], database) as mine:
            classes = mine.make_classes({})
            for name, row in (("ByAdmin", {"a": 7}), ("ByDeclarer", {"note": "w"})):
                table = classes[name]
                if level == "write":
                    table.insert1(row)
                    assert len(table()) >= 1
                else:
                    assert len(table()) == (1 if name == "ByDeclarer" else 0)
                    with pytest.raises(dj.AccessError) as error:
                        table.insert1(row)
                    denied(error, table.table_name, "INSERT")
    assert len(ByAdmin()) == 1


def test_a_cascade_into_a_schema_without_delete_deletes_nothing(
    logins: dict[str, Login], new_schema: Callable[..., dj.Schema]
) -> None:
    admin, other, Visit = parents_and_children(new_schema)
    writer = logins["write"]
    admin.schema.grant(writer.name, "write")
    other.grant(writer.name, "read")
    before = snapshot(admin), sorted(Visit.keys(), key=repr)
    with user_connection(writer) as conn, dj.config.override(safemode=False):
        mine = pipeline(dj.Schema(str(admin.schema.database), connection=conn, create_tables=False))
        children = dj.Schema(str(other.database), connection=conn, create_tables=False)
        children.make_classes({})
        assert (mine.Subject & {"subject_id": 3}).delete(dry_run=True).total == 4
        with pytest.raises(dj.AccessError) as error:
            (mine.Subject & {"subject_id": 3}).delete()
    denied(error, f"`{other.database}`.`visit`", "DELETE")
    assert (snapshot(admin), sorted(Visit.keys(), key=repr)) == before


def test_populate_with_jobs_needs_a_job_table_an_administrator_declared(
    logins: dict[str, Login], new_schema: Callable[..., dj.Schema], schema_name: Names
) -> None:
    schema = new_schema("jobs")
    admin = pipeline(schema)
    admin.Subject.insert1((1, "ann"))
    admin.Session.insert([(1, 1, "a"), (1, 2, "b")])
    writer = logins["write"]
    schema.grant(writer.name, "write")
    with as_user(writer, str(schema.database)) as mine:
        tables = pipeline(mine)
        with pytest.raises(dj.AccessError) as error:
            tables.Score.populate(reserve_jobs=True)
        denied(error, "~~score", "CREATE", "Score.jobs", "without reserve_jobs")
        assert "~~score" not in sa.inspect(schema.connection.engine).get_table_names(
            str(schema.database)
        )
    admin.Score.jobs.progress()  # the administrator creates the job table
    with as_user(writer, str(schema.database)) as mine:
        tables = pipeline(mine)
        assert tables.Score.populate(reserve_jobs=True)["success_count"] == 2
    assert len(admin.Score()) == 2
    assert admin.Score.jobs.progress()["reserved"] == 0


def test_requests_that_cannot_be_granted_are_refused(
    backend: str, logins: dict[str, Login], new_schema: Callable[..., dj.Schema]
) -> None:
    schema = new_schema("refuse")
    with pytest.raises(dj.DataJointError, match="not a privilege level"):
        schema.grant(logins["read"].name, "admin")
    for name in ("x'; DROP TABLE t; --", "a b", "", 'q"uote'):
        with pytest.raises(dj.DataJointError, match="cannot be a user name"):
            schema.grant(name, "read")
    if backend == "postgresql":
        with pytest.raises(dj.DataJointError, match="no host part"):
            schema.grant(f"{logins['read'].name}@localhost", "read")
    with pytest.raises(dj.DataJointError, match="does not exist"):
        schema.grant("nobody_here_at_all", "read")
    assert schema.privileges() == {} or all(
        name != "nobody_here_at_all" for name in schema.privileges()
    )
    # a user without the right to grant is refused, and nothing is granted
    schema.grant(logins["write"].name, "write")
    with (
        as_user(logins["write"], str(schema.database)) as mine,
        pytest.raises(dj.AccessError) as error,
    ):
        mine.grant(logins["read"].name, "read")
    denied(error, "GRANT")
    assert logins["read"].name not in schema.privileges()


def test_a_reader_cannot_create_a_schema(logins: dict[str, Login], schema_name: Names) -> None:
    with user_connection(logins["read"]) as conn, pytest.raises(dj.AccessError) as error:
        dj.Schema(schema_name("forbidden"), connection=conn)
    denied(error, "forbidden", "CREATE")


def test_a_user_with_privileges_on_some_tables_only(
    backend: str, logins: dict[str, Login], new_schema: Callable[..., dj.Schema]
) -> None:
    """DataJoint's subset case: table-level grants on two tables of a schema; the user
    activates it and populates, and the tables it cannot see stay undeclared."""
    schema = new_schema("subset")
    admin = pipeline(schema)
    admin.Subject.insert1((1, "ann"))
    admin.Session.insert([(1, 1, "a"), (1, 2, "b")])
    user = logins["read"].name
    database = str(schema.database)
    granted = "SELECT, INSERT, UPDATE, DELETE"
    if backend == "mysql":
        statements = [
            f"GRANT {granted} ON `{database}`.`{t}` TO '{user}'@'%%'"
            for t in ("session", "__score", "#kind")
        ]
    else:
        statements = [f"GRANT USAGE ON SCHEMA {database} TO {user}"] + [
            f'GRANT {granted} ON {database}."{t}" TO {user}'
            for t in ("session", "__score", "#kind")
        ]
    for statement in statements:
        schema.connection.query(statement)
    assert schema.privileges().get(user, "partial") == "partial"
    with as_user(logins["read"], database) as mine:
        tables = pipeline(mine)
        assert tables.Score.populate()["success_count"] == 2
        with pytest.raises(dj.AccessError) as error:
            len(tables.Subject())
        denied(error, "subject", "SELECT")
    assert len(admin.Score()) == 2


def test_a_cascading_drop_into_a_schema_without_drop_drops_nothing(
    backend: str, logins: dict[str, Login], new_schema: Callable[..., dj.Schema]
) -> None:
    admin, other, _ = parents_and_children(new_schema)
    user = logins["all"]
    admin.schema.grant(user.name, "all")
    other.grant(user.name, "read")
    before = admin.schema.list_tables(), other.list_tables()
    with user_connection(user) as conn, dj.config.override(safemode=False):
        mine = pipeline(dj.Schema(str(admin.schema.database), connection=conn, create_tables=False))
        dj.Schema(str(other.database), connection=conn, create_tables=False).make_classes({})
        with pytest.raises(dj.AccessError) as error:
            mine.Subject.drop()
    # MySQL refuses the other schema's table; on PostgreSQL even "all" may drop only the
    # tables one owns, so an administrator's table of the first schema is refused as well
    denied(error, f"`{other.database}`.`visit`" if backend == "mysql" else "not the owner")
    assert (admin.schema.list_tables(), other.list_tables()) == before
