"""``install_as_datajoint()`` and DataJoint's module surface, with real pipeline code.

Each test installs the stand-in ``datajoint`` modules and removes them afterwards, so the real
``datajoint`` package stays importable for the interoperability tests in the same process.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import dj_sqla

PIPELINE = '''
import datajoint as dj
from datajoint.errors import DuplicateError
from datajoint.user_tables import UserTable

schema = dj.schema("{name}", locals(), connection=CONNECTION)


@schema
class Subject(dj.Manual):
    definition = """
    subject : varchar(16)
    ---
    sex : enum('M', 'F', 'U')
    """


@schema
class Session(dj.Manual):
    definition = """
    -> Subject
    session_id : int16
    """


def add(subject, sex="U"):
    try:
        Subject.insert1(dict(subject=subject, sex=sex))
    except DuplicateError:
        return False
    return True
'''


@pytest.fixture
def datajoint_modules() -> Iterator[None]:
    """Stand-in ``datajoint`` modules for the test; the real package's entries come back."""
    saved = {k: v for k, v in sys.modules.items() if k.split(".")[0] == "datajoint"}
    for name in saved:
        del sys.modules[name]
    try:
        yield
    finally:
        for name in [k for k in sys.modules if k.split(".")[0] == "datajoint"]:
            del sys.modules[name]
        sys.modules.update(saved)


def _import_pipeline(tmp_path: Path, source: str, module_name: str) -> types.ModuleType:
    (tmp_path / f"{module_name}.py").write_text(textwrap.dedent(source))
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(module_name)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(module_name, None)


@pytest.mark.usefixtures("datajoint_modules")
def test_datajoint_code_runs_on_dj_sqla(
    connection: dj_sqla.Connection,
    schema_name: Callable[[str], str],
    tmp_path: Path,
) -> None:
    dj_sqla.install_as_datajoint()
    dj_sqla.install_as_datajoint()  # again: nothing happens
    import datajoint as dj  # the stand-in

    assert dj.Manual is dj_sqla.Manual
    assert dj.config is dj_sqla.config
    assert dj.schema is dj_sqla.Schema
    assert dj.errors.DuplicateError is dj_sqla.DuplicateError
    dj.CONNECTION = connection  # type: ignore[attr-defined]  # the module reads it below
    source = PIPELINE.format(name=schema_name("classic")).replace(
        "connection=CONNECTION", "connection=dj.CONNECTION"
    )
    pipeline = _import_pipeline(tmp_path, source, "djt_classic_pipeline")
    assert pipeline.add("ann", "F")
    assert not pipeline.add("ann")  # DataJoint's DuplicateError caught as DataJoint code does
    pipeline.Session.insert1({"subject": "ann", "session_id": 1})
    assert pipeline.Session.fetch("KEY") == [{"subject": "ann", "session_id": 1}]
    assert isinstance(pipeline.Subject(), dj.Table)
    assert isinstance(pipeline.Subject & {"subject": "ann"}, dj.Table)
    assert issubclass(pipeline.Session, dj.Table)
    assert not isinstance(pipeline.Subject * pipeline.Session, dj.Table)
    free = dj.FreeTable(connection, pipeline.Session.full_table_name)
    assert free.to_dicts() == [{"subject": "ann", "session_id": 1}]


@pytest.mark.usefixtures("datajoint_modules")
def test_the_submodules_pipelines_import() -> None:
    dj_sqla.install_as_datajoint()
    from datajoint.autopopulate import AutoPopulate
    from datajoint.connection import Connection, conn
    from datajoint.errors import LostConnectionError, MissingTableError
    from datajoint.expression import AndList, Not, QueryExpression, Top, U
    from datajoint.schemas import Schema, VirtualModule, list_schemas
    from datajoint.settings import config
    from datajoint.table import FreeTable, Table
    from datajoint.user_tables import Compute, Computed, Entry, Imported, Ingest, Lookup, Manual
    from datajoint.utils import from_camel_case, to_camel_case

    assert AutoPopulate is dj_sqla.AutoPopulate
    assert (Connection, conn) == (dj_sqla.Connection, dj_sqla.conn)
    assert issubclass(dj_sqla.TableNotDeclaredError, MissingTableError)
    assert issubclass(LostConnectionError, dj_sqla.DataJointError)
    assert (AndList, Not, Top, U) == (dj_sqla.AndList, dj_sqla.Not, dj_sqla.Top, dj_sqla.U)
    assert QueryExpression is dj_sqla.execution.query.Query
    assert (Schema, VirtualModule, list_schemas) == (
        dj_sqla.Schema,
        dj_sqla.VirtualModule,
        dj_sqla.list_schemas,
    )
    assert config is dj_sqla.config
    assert (FreeTable, Table) == (dj_sqla.FreeTable, dj_sqla.Table)
    assert (Compute, Entry, Ingest) == (Computed, Manual, Imported)
    assert Lookup is dj_sqla.Lookup
    assert to_camel_case("mouse_cage") == "MouseCage"
    assert from_camel_case("MouseCage") == "mouse_cage"
    with pytest.raises(ImportError):
        from datajoint.table import lookup_class_name  # noqa: F401
    table_module = sys.modules["datajoint.table"]
    with pytest.raises(AttributeError, match="dj_sqla does not offer that part"):
        table_module.lookup_class_name  # noqa: B018


@pytest.mark.usefixtures("datajoint_modules")
def test_the_private_helpers_rest_servers_import() -> None:
    """pharus imports the pattern that reads a refused delete's child table, and sorts a
    schema's tables by tier with DataJoint's private ``_get_tier``."""
    dj_sqla.install_as_datajoint()
    from datajoint.diagram import _get_tier
    from datajoint.table import foreign_key_error_regexp
    from datajoint.user_tables import _get_tier as same

    assert same is _get_tier
    tiers = {
        name: _get_tier(f"`lab`.`{name}`").__name__
        for name in ("mouse", "#color", "_scan", "__stats", "__stats__unit", "session__trial")
    }
    assert tiers == {
        "mouse": "Manual",
        "#color": "Lookup",
        "_scan": "Imported",
        "__stats": "Computed",
        "__stats__unit": "Part",
        "session__trial": "Part",
    }
    assert _get_tier('"lab"."#color"') is dj_sqla.Lookup  # PostgreSQL's quoting
    message = "Cannot delete from `lab`.`mouse`: rows of `lab`.`cage` depend on them. Use ..."
    found = foreign_key_error_regexp.match(message)
    assert found is not None
    assert found.group("child") == "`lab`.`cage`"
    assert foreign_key_error_regexp.match("Duplicate entry '1' for key 'PRIMARY'") is None


@pytest.mark.usefixtures("datajoint_modules")
def test_the_helpers_spyglass_imports(tmp_path: Path) -> None:
    """``datajoint.hash`` gives DataJoint 0.14's values (checked against it), so names and
    file ids a pipeline stored stay the same; ``condition.make_condition``,
    ``preview.repr_html`` and ``expression.Union`` exist under DataJoint's names."""
    dj_sqla.install_as_datajoint()
    from datajoint.condition import make_condition
    from datajoint.expression import QueryExpression, Union
    from datajoint.hash import key_hash, uuid_from_buffer, uuid_from_file, uuid_from_stream
    from datajoint.preview import repr_html

    assert key_hash({"b": 2, "a": 1, "c": "x y"}) == "ba2f4455517a55cc53df137fd6af088c"
    assert str(uuid_from_buffer(b"abc", init_string="z")) == "5047bbca-529b-0016-d342-ed3c38c3bed9"
    path = tmp_path / "data.bin"
    path.write_bytes(b"abc" * 50_000)  # more than one chunk
    with path.open("rb") as stream:
        assert (
            uuid_from_file(path) == uuid_from_stream(stream) == uuid_from_buffer(path.read_bytes())
        )
    assert Union is QueryExpression
    assert callable(make_condition)
    assert callable(repr_html)


def test_refused_when_the_real_datajoint_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    real = types.ModuleType("datajoint")
    real.__file__ = "/site-packages/datajoint/__init__.py"
    monkeypatch.setitem(sys.modules, "datajoint", real)
    with pytest.raises(dj_sqla.DataJointError, match="real `datajoint` package is imported"):
        dj_sqla.install_as_datajoint()
    assert sys.modules["datajoint"] is real


@pytest.mark.usefixtures("datajoint_modules")
def test_free_table_names(connection: dj_sqla.Connection) -> None:
    dj_sqla.install_as_datajoint()
    with pytest.raises(dj_sqla.DataJointError, match="not a full table name"):
        dj_sqla.FreeTable(connection, "no_schema_here")
