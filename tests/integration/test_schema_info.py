"""What a schema and a table tell about themselves: size_on_disk, and schema.code / save()
(source of a module declaring the schema's tables, which declares them again elsewhere)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dj_sqla as dj


def declare_lab(schema: dj.Schema) -> dict[str, Any]:
    @schema
    class Mouse(dj.Manual):
        definition = """
        # a mouse
        mouse_id : int32
        ---
        name : varchar(24)  # as in the colony
        """

    @schema
    class Rig(dj.Lookup):
        definition = """
        rig : varchar(8)
        """
        contents = [("a",), ("b",)]

    @schema
    class Session(dj.Imported):
        definition = """
        -> Mouse
        session : int16
        ---
        -> Rig
        """

        class Trial(dj.Part):
            definition = """
            -> master
            trial : int32
            ---
            -> Rig
            """

        def make(self, key: dict[str, Any]) -> None:
            pass  # pragma: no cover

    @schema
    class Stats(dj.Computed):
        definition = """
        -> Session
        ---
        n : int32
        """

        def make(self, key: dict[str, Any]) -> None:
            pass  # pragma: no cover

    return {"Mouse": Mouse, "Rig": Rig, "Session": Session, "Stats": Stats}


def test_size_on_disk_of_tables_and_schemas(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("size")
    classes = declare_lab(schema)
    Mouse = classes["Mouse"]
    Mouse.insert([(i, "x" * 20) for i in range(200)])
    table_bytes = Mouse.size_on_disk
    assert isinstance(table_bytes, int)
    assert table_bytes > 100
    assert Mouse().size_on_disk == table_bytes
    total = schema.size_on_disk
    assert isinstance(total, int)
    assert total >= table_bytes + classes["Rig"].size_on_disk


def test_code_declares_the_same_tables_again(
    new_schema: Callable[..., dj.Schema], tmp_path: Path
) -> None:
    schema = new_schema("code")
    classes = declare_lab(schema)
    source = schema.code
    assert "class Session(dj.Imported):" in source
    assert "    class Trial(dj.Part):" in source
    assert source.index("class Mouse(") < source.index("class Session(")
    assert source.index("class Rig(") < source.index("class Session(")
    assert source.index("class Session(") < source.index("class Trial(") < source.index("Stats(")
    assert schema.save(tmp_path / "pipeline.py") == source
    assert (tmp_path / "pipeline.py").read_text() == source

    copy = new_schema("code_copy")  # the generated module, run against another schema
    deferred = source.replace(f"dj.Schema({schema.database!r})", "dj.Schema()")
    assert deferred != source
    namespace: dict[str, Any] = {}
    exec(compile(deferred, "pipeline.py", "exec"), namespace)  # our own output
    generated = namespace["schema"]
    generated.activate(copy.database, connection=copy.connection)
    for name, cls in classes.items():
        assert namespace[name].describe() == cls.describe()
    assert namespace["Session"].Trial.describe() == classes["Session"].Trial.describe()


def test_code_of_an_empty_schema(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("code_empty")
    assert schema.size_on_disk >= 0
    assert "dj.Schema(" in schema.code
    assert "class " not in schema.code
