"""DataJoint 0.14's store API on every backend, against a local folder and a real S3 server.

``schema.external[store]`` (and ``Table.external``) is 0.14's tracking table of a store as a
query with the store's operations: listing what is tracked and used, cleaning up what no row
refers to, and managing files of the store's stage folder. A 0.14 settings file's s3 store
speaks plain http unless it says ``secure``, and its location is read as 0.14 reads it.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dj_sqla as dj
import servers
from dj_sqla._hash import uuid_from_file
from dj_sqla.codecs import unpack
from dj_sqla.stores import ExternalTable, get_store_backend


@pytest.fixture
def old_lab(new_schema: Any, stores: Any, tmp_path: Path) -> dict[str, Any]:
    """A schema with a table of DataJoint 0.14's store types; the ``files`` store has a stage."""
    stage = tmp_path / "stage"
    stage.mkdir()
    settings = dict(dj.config["stores"])
    settings["files"] = {**settings["files"], "stage": str(stage)}
    dj.config["stores"] = settings
    schema = new_schema("old")

    @schema
    class Old(dj.Manual):
        definition = """
        rid : int
        ---
        data : blob@main
        doc = null : attach@main
        raw = null : filepath@files
        """

    return {"schema": schema, "Old": Old, "stage": stage, "tmp": tmp_path}


def test_datajoint_014_store_types(old_lab: dict[str, Any]) -> None:
    schema, old, stage, tmp_path = (old_lab[k] for k in ("schema", "Old", "stage", "tmp"))
    (stage / "sub").mkdir()
    assert "data : blob@main" in old.describe()
    (stage / "sub" / "f.dat").write_bytes(b"filepath data")
    attachment = tmp_path / "notes.txt"
    attachment.write_text("attached")
    old.insert(
        [
            {"rid": 1, "data": np.eye(3), "doc": attachment, "raw": stage / "sub" / "f.dat"},
            {"rid": 2, "data": np.eye(3)},  # the same blob: one object, one tracking row
        ]
    )
    row = (old & {"rid": 1}).fetch1(download_path=str(tmp_path / "down"))
    np.testing.assert_array_equal(row["data"], np.eye(3))
    assert Path(row["doc"]).read_text() == "attached"
    assert Path(row["raw"]).read_bytes() == b"filepath data"
    objects = _objects(schema.database)
    assert len(objects) == 2  # the blob, the attachment (as 0.14 lays them out)
    assert any(p.endswith(".notes.txt") for p in objects)
    assert get_store_backend("files").exists("sub/f.dat")
    (stage / "sub" / "f.dat").unlink()  # fetched again from the store
    assert Path((old & {"rid": 1}).fetch1("raw")).read_bytes() == b"filepath data"
    (old & {"rid": 1}).delete(prompt=False)
    assert len(_objects(schema.database)) == 1  # the blob stays: row 2 references it
    assert not get_store_backend("files").exists("sub/f.dat")
    (old & {"rid": 2}).delete(prompt=False)
    assert _objects(schema.database) == []
    virtual = dj.virtual_schema(schema.database, connection=schema.connection)
    assert "data : blob@main" in virtual.Old.describe()


def _objects(section: str) -> list[str]:
    """Every file stored in the ``main`` store under a section (relative paths)."""
    backend = get_store_backend("main")
    root = backend._full_path("")
    start = backend._full_path(section)
    if not backend.fs.exists(start):
        return []
    return sorted(
        f"{folder}/{name}"[len(root) :].lstrip("/")
        for folder, _dirs, files in backend.fs.walk(start)
        for name in files
    )


def test_external_tables_list_what_rows_use(old_lab: dict[str, Any]) -> None:
    schema, old = old_lab["schema"], old_lab["Old"]
    old.insert([{"rid": 1, "data": np.eye(2)}, {"rid": 2, "data": np.eye(2)}])
    assert old.heading["data"].is_external
    assert old.heading["data"].store == "main"
    assert not old.heading["rid"].is_external
    assert sorted(schema.external) == ["files", "main"]
    ext = schema.external["main"]
    assert isinstance(ext, ExternalTable)
    assert old.external["main"].store == "main"
    assert len(ext) == 1
    assert len(ext.used()) == 1
    assert len(ext.unused()) == 0
    [(digest, path)] = ext.fetch_external_paths()
    assert ext.exists(path)
    np.testing.assert_array_equal(unpack(ext.get(digest)), np.eye(2))
    assert {"referencing_table": f"`{schema.database}`.`old`", "column_name": "data"} in list(
        ext.references
    )


def test_external_delete_removes_only_what_no_row_uses(old_lab: dict[str, Any]) -> None:
    schema, old = old_lab["schema"], old_lab["Old"]
    old.insert1({"rid": 1, "data": [1, 2, 3]})
    ext = schema.external["main"]
    orphan = ext.put(b"not referenced")
    assert len(ext) == 2
    assert (ext.unused()).fetch("hash").tolist() == [orphan]
    with pytest.raises(dj.DataJointError, match="delete_external_files"):
        ext.delete()
    [(_, orphan_path)] = ext.unused().fetch_external_paths()
    assert ext.delete(delete_external_files=False) is None  # the rows only
    assert len(ext) == 1
    assert ext.exists(orphan_path)
    again = ext.put(b"not referenced")
    assert again == orphan
    assert ext.delete(delete_external_files=True, display_progress=False) == []
    assert len(ext) == 1
    assert not ext.exists(orphan_path)
    assert list((old & {"rid": 1}).fetch1("data")) == [1, 2, 3]  # the used one stays


def test_external_attachments(old_lab: dict[str, Any]) -> None:
    ext, tmp = old_lab["schema"].external["main"], old_lab["tmp"]
    source = tmp / "notes.txt"
    source.write_text("attached")
    digest = ext.upload_attachment(source)
    assert ext.get_attachment_name(digest) == "notes.txt"
    ext.download_attachment(digest, "notes.txt", tmp / "back.txt")
    assert (tmp / "back.txt").read_text() == "attached"


def test_managed_files_upload_and_download(old_lab: dict[str, Any]) -> None:
    ext, stage = old_lab["schema"].external["files"], old_lab["stage"]
    managed = stage / "one" / "two" / "picture.dat"
    managed.parent.mkdir(parents=True)
    managed.write_bytes(b"x" * 3000)
    first = ext.upload_filepath(managed)
    assert ext.upload_filepath(str(managed)) == first  # tracked once
    assert (ext & {"hash": first}).fetch1("filepath") == "one/two/picture.dat"
    managed.unlink()
    for _ in range(2):  # copied back once, then found in place
        local, checksum = ext.download_filepath(first)
        assert local == str(managed)
        assert managed.read_bytes() == b"x" * 3000
        assert checksum == uuid_from_file(managed)
    managed.write_bytes(b"y" * 3000)
    with pytest.raises(dj.DataJointError, match=r"different version of 'one/two/picture\.dat'"):
        ext.upload_filepath(managed)
    with pytest.raises(dj.DataJointError, match="not in the stage folder"):
        ext.upload_filepath(old_lab["tmp"] / "elsewhere.dat")
    assert ext.download_filepath(None) is None


def test_external_table_by_name_creates_its_table(old_lab: dict[str, Any]) -> None:
    schema = old_lab["schema"]
    ext = ExternalTable(schema.connection, store="other", database=schema.database)
    assert len(ext) == 0
    digest = ext.put(b"abc")
    assert isinstance(digest, uuid.UUID)
    assert ext.fetch1("size") == 3
    assert "other" in schema.external


def test_external_of_a_schema_not_activated(connection: dj.Connection) -> None:
    with pytest.raises(dj.DataJointError, match="not activated"):
        ExternalTable(connection, store="main", database="no_such_schema_here")


def test_s3_store_of_014_types_uses_plain_http_and_0_14_locations(
    new_schema: Any, s3_url: str
) -> None:
    host = s3_url.removeprefix("http://")  # as a 0.14 settings file gives it: no scheme
    unique = uuid.uuid4().hex[:8]
    saved = dj.config["stores"]
    dj.config["stores"] = {
        "share": {
            "protocol": "s3",
            "endpoint": host,
            "bucket": servers.S3_BUCKETS[0],
            "location": f"f:\\t{unique}\\share",
            "access_key": "test-key",
            "secret_key": "test-secret",
        }
    }
    try:
        schema = new_schema("share")

        @schema
        class Remote(dj.Manual):
            definition = """
            rid : int
            ---
            item : blob@share
            """

        Remote.insert1({"rid": 1, "item": np.arange(3)})
        np.testing.assert_array_equal(Remote.fetch1("item"), np.arange(3))
        backend = get_store_backend("share", legacy=True)
        assert backend.spec["secure"] is False
        assert backend.spec["location"] == f"t{unique}/share"
        assert backend.fs.find(f"{servers.S3_BUCKETS[0]}/t{unique}/share/{schema.database}")
        assert dj.config.get_store_spec("share")["secure"] is True  # DataJoint 2's default
    finally:
        dj.config["stores"] = saved


def test_update_releases_the_replaced_014_object(old_lab: dict[str, Any]) -> None:
    schema, old = old_lab["schema"], old_lab["Old"]
    old.insert([{"rid": 1, "data": "first"}, {"rid": 2, "data": "shared"}])
    old.insert1({"rid": 3, "data": "shared"})
    ext = schema.external["main"]
    paths = dict(ext.fetch_external_paths())
    assert len(paths) == 2
    old.update1({"rid": 1, "data": "second"})
    old.update1({"rid": 2, "data": "second"})  # "shared" is still row 3's
    assert len(ext) == 2  # "second" and "shared"; "first" went with its object
    assert sum(ext.exists(p) for p in paths.values()) == 1
    assert (old & {"rid": 3}).fetch1("data") == "shared"
