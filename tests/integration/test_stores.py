"""Object stores on every backend, against a local folder and a real S3-compatible server.

Each test runs once per backend (sqlite, mysql, postgresql) and per store kind (file, s3):
values go in, come back, share what they should, and leave nothing behind when deleted or when
an insert fails.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session as OrmSession

import dj_sqla as dj
from dj_sqla.stores import NpyRef, ObjectRef, compute_hash, get_store_backend


def _objects(section: str = "") -> list[str]:
    """Every file stored in the ``main`` store (relative paths), optionally under a section."""
    backend = get_store_backend("main")
    root = backend._full_path("")
    start = backend._full_path(section) if section else root
    found = []
    if not backend.fs.exists(start):
        return []
    for folder, _dirs, files in backend.fs.walk(start):
        found += [f"{folder}/{f}"[len(root) :].lstrip("/") for f in files]
    return sorted(found)


def _then_fail(connection: dj.Connection, work: Any) -> None:
    """Run ``work`` in a transaction that then fails (and rolls back)."""
    with connection.transaction:
        work()
        raise RuntimeError("changed my mind")


def _staged_then_fail(table: Any) -> None:
    """A staged insert whose block fails after writing its object."""
    with table.staged_insert1 as staged:
        staged.rec.update(rec_id=11, traces=np.zeros(2))
        with staged.open("raw", ".bin") as out:
            out.write(b"half")
        raise ValueError("acquisition failed")


@pytest.fixture
def lab(new_schema: Any, stores: Any) -> dict[str, Any]:
    """A schema with tables of every store type."""
    schema = new_schema("lab")

    @schema
    class Recording(dj.Manual):
        definition = """
        rec_id : int32
        ---
        traces : <npy@main>            # lazily read arrays
        params = null : <blob@>         # default store: shared, hash-addressed
        raw = null : <object@main>
        """

    @schema
    class Analysis(dj.Manual):
        definition = """
        -> Recording
        ---
        result : <blob@main>
        report = null : <attach@other>
        chunk = null : <hash@main>
        """

    @schema
    class Files(dj.Manual):
        definition = """
        file_id : int32
        ---
        data : <filepath@files>
        """

    return {"schema": schema, "Recording": Recording, "Analysis": Analysis, "Files": Files}


def test_npy_is_read_only_when_asked(lab: dict[str, Any], statements: Any) -> None:
    Recording = lab["Recording"]
    array = np.random.default_rng(1).normal(size=(50, 4)).astype(np.float32)
    Recording.insert1({"rec_id": 1, "traces": array})
    ref = (Recording & {"rec_id": 1}).fetch1("traces")
    assert isinstance(ref, NpyRef)
    assert (ref.shape, ref.dtype, len(ref), ref.is_loaded) == ((50, 4), np.float32, 50, False)
    np.testing.assert_array_equal(ref.load(), array)
    np.testing.assert_array_equal(np.asarray(ref), array)
    np.testing.assert_array_equal(ref.load(mmap_mode="r")[10:12], array[10:12])
    assert ref[3, 2] == array[3, 2]
    [path] = _objects("_schema")
    assert path == ref.path
    assert path.startswith(f"_schema/{lab['schema'].database}/recording/rec_id=1/traces_")


def test_blob_and_hash_are_stored_once(lab: dict[str, Any]) -> None:
    Recording, Analysis = lab["Recording"], lab["Analysis"]
    params = {"fs": 30000.0, "channels": np.arange(64)}
    Recording.insert([{"rec_id": i, "traces": np.zeros(3), "params": params} for i in range(3)])
    assert len(_objects("_hash")) == 1  # three rows, one stored object
    fetched = (Recording & {"rec_id": 2}).fetch1("params")
    np.testing.assert_array_equal(fetched["channels"], params["channels"])
    Analysis.insert1({"rec_id": 0, "result": [1, 2, 3], "chunk": b"\x00\x01raw"})
    row = (Analysis & {"rec_id": 0}).fetch1()
    assert row["result"] == [1, 2, 3]
    assert row["chunk"] == b"\x00\x01raw"


def test_attachment_in_other_store(lab: dict[str, Any], tmp_path: Path) -> None:
    Recording, Analysis = lab["Recording"], lab["Analysis"]
    Recording.insert1({"rec_id": 1, "traces": np.zeros(2)})
    report = tmp_path / "report.txt"
    report.write_text("spike sorting went fine")
    Analysis.insert1({"rec_id": 1, "result": 1, "report": report})
    got = (Analysis & {"rec_id": 1}).fetch1("report", download_path=tmp_path / "down")
    assert Path(got).name == "report.txt"
    assert Path(got).read_text() == "spike sorting went fine"
    assert len(_objects("_hash")) == 1  # the result; the report went to the other store
    content = compute_hash(b"report.txt\0spike sorting went fine")
    assert get_store_backend("other").exists(f"_hash/{lab['schema'].database}/{content}")


def test_object_files_folders_and_streams(lab: dict[str, Any], tmp_path: Path) -> None:
    Recording = lab["Recording"]
    folder = tmp_path / "session.zarr"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.bin").write_bytes(b"aaa")
    (folder / "sub" / "b.bin").write_bytes(b"bb")
    file = tmp_path / "notes.csv"
    file.write_text("a,b\n1,2\n")
    Recording.insert(
        [
            {"rec_id": 1, "traces": np.zeros(1), "raw": folder},
            {"rec_id": 2, "traces": np.zeros(1), "raw": str(file)},
            {"rec_id": 3, "traces": np.zeros(1), "raw": (".txt", io.BytesIO(b"streamed"))},
        ]
    )
    refs = dict(zip(*Recording.to_arrays("rec_id", "raw"), strict=True))
    assert isinstance(refs[1], ObjectRef)
    assert (refs[1].is_dir, refs[1].item_count, refs[1].size) == (True, 2, 5)
    assert sorted(refs[1].listdir()) == ["a.bin", "sub"]
    assert refs[1].fsmap["sub/b.bin"] == b"bb"
    with refs[1].open("a.bin") as handle:
        assert handle.read() == b"aaa"
    assert refs[1].verify()
    assert (refs[2].ext, refs[2].read()) == (".csv", b"a,b\n1,2\n")
    assert (refs[3].ext, refs[3].read()) == (".txt", b"streamed")
    assert refs[2].download(tmp_path / "dl").read_text() == "a,b\n1,2\n"
    assert refs[1].fs.exists(refs[1].full_path)


def test_filepath_refers_to_files_in_the_store(lab: dict[str, Any]) -> None:
    Files = lab["Files"]
    files = get_store_backend("files")
    files.put_buffer(b"raw ephys", "subject1/session1/data.bin")
    Files.insert1({"file_id": 1, "data": "subject1/session1/data.bin"})
    ref = (Files & {"file_id": 1}).fetch1("data")
    assert (ref.path, ref.size, ref.read()) == ("subject1/session1/data.bin", 9, b"raw ephys")
    files.put_buffer(b"changed!!", "subject1/session1/data.bin")
    with pytest.raises(dj.DataJointError, match="no longer matches its checksum") as info:
        (Files & {"file_id": 1}).fetch1("data").read()
    assert "`data`" in str(info.value)
    assert "subject1/session1/data.bin" in str(info.value)
    with pytest.raises(dj.DataJointError, match="no file"):
        Files.insert1({"file_id": 2, "data": "not/there.bin"})
    for managed in ("_hash/x/y", "/_schema/lab/t/f.bin"):
        with pytest.raises(dj.DataJointError, match="reserved section '_") as refused:
            Files.insert1({"file_id": 3, "data": managed})
        assert isinstance(refused.value, ValueError)  # as DataJoint raises it
        assert "`data`" in str(refused.value)
    settings = dict(dj.config["stores"])
    settings["files"] = {**settings["files"], "filepath_prefix": "user_files"}
    dj.config["stores"] = settings
    with pytest.raises(ValueError, match="must use prefix 'user_files'"):
        Files.insert1({"file_id": 4, "data": "subject1/session1/data.bin"})
    assert len(Files()) == 1
    (Files & {"file_id": 1}).delete(prompt=False)
    assert files.exists("subject1/session1/data.bin")  # the user's file stays


def test_deleting_rows_removes_their_objects_after_commit(lab: dict[str, Any]) -> None:
    Recording, Analysis = lab["Recording"], lab["Analysis"]
    shared = {"same": "parameters"}
    Recording.insert(
        [{"rec_id": i, "traces": np.full(4, i), "params": shared, "raw": b"x"} for i in range(2)]
    )
    Analysis.insert1({"rec_id": 0, "result": shared})  # another table shares the object
    assert len(_objects("_hash")) == 1
    assert len(_objects("_schema")) == 4
    connection = lab["schema"].connection
    with pytest.raises(RuntimeError, match="changed my mind"):
        _then_fail(connection, lambda: (Recording & {"rec_id": 1}).delete(prompt=False))
    assert len(_objects("_schema")) == 4  # rolled back: nothing removed
    (Recording & {"rec_id": 1}).delete(prompt=False)
    assert len(_objects("_schema")) == 2
    assert len(_objects("_hash")) == 1  # still used by rec 0 and the analysis
    (Recording & {"rec_id": 0}).delete(prompt=False)  # cascades to the analysis
    assert _objects() == []


def test_updating_a_stored_value_removes_the_replaced_object_after_commit(
    lab: dict[str, Any],
) -> None:
    Recording = lab["Recording"]
    Recording.insert([{"rec_id": i, "traces": np.full(4, i), "params": "shared"} for i in range(2)])
    Recording.insert1({"rec_id": 2, "traces": np.zeros(2), "params": "own"})
    before = _objects()
    connection = lab["schema"].connection
    with pytest.raises(RuntimeError, match="changed my mind"):
        _then_fail(connection, lambda: Recording.update1({"rec_id": 2, "traces": np.ones(9)}))
    assert _objects() == before  # rolled back: the old object stays, the new one went
    Recording.update1({"rec_id": 2, "traces": np.ones(9), "params": "changed"})
    row = (Recording & {"rec_id": 2}).fetch1()
    assert row["params"] == "changed"
    np.testing.assert_array_equal(row["traces"].load(), np.ones(9))
    assert len(_objects()) == len(before)  # each replaced object went
    kept = [p for p in before if "rec_id=2" not in p and "_hash" not in p]
    assert set(kept) <= set(_objects())  # the other rows' objects are untouched
    Recording.update1({"rec_id": 0, "params": "other"})  # "shared" is still rec 1's
    assert (Recording & {"rec_id": 1}).fetch1("params") == "shared"
    Recording.update1({"rec_id": 1, "params": None})  # the last reference: it goes
    assert len(_objects("_hash")) == 2  # "changed" and "other"


def test_concurrent_deletes_of_rows_sharing_an_object(
    lab: dict[str, Any], connection: dj.Connection
) -> None:
    Recording = lab["Recording"]
    rows = [{"rec_id": i, "traces": np.zeros(1), "params": "shared"} for i in range(8)]
    Recording.insert(rows)
    assert len(_objects("_hash")) == 1
    barrier = threading.Barrier(len(rows))
    failures: list[BaseException] = []

    def delete(rec_id: int) -> None:
        try:
            barrier.wait(timeout=30)
            (Recording & {"rec_id": rec_id}).delete_quick()
        except BaseException as err:
            failures.append(err)

    threads = [threading.Thread(target=delete, args=(r["rec_id"],)) for r in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(Recording()) == 0
    assert _objects("_hash") == []


def test_failed_insert_leaves_no_object(lab: dict[str, Any]) -> None:
    Recording = lab["Recording"]
    Recording.insert1({"rec_id": 1, "traces": np.zeros(3)})
    before = _objects("_schema")
    with pytest.raises(dj.DuplicateError):
        Recording.insert1({"rec_id": 1, "traces": np.ones(3), "raw": b"new"})
    assert _objects("_schema") == before
    with pytest.raises(RuntimeError, match="changed my mind"):
        _then_fail(
            lab["schema"].connection,
            lambda: Recording.insert1({"rec_id": 2, "traces": np.ones(3)}),
        )
    assert _objects("_schema") == before
    assert len(Recording()) == 1


def test_bad_values_name_the_row(lab: dict[str, Any]) -> None:
    Recording = lab["Recording"]
    with pytest.raises(dj.DataJointError, match=r"numpy\.ndarray") as info:
        Recording.insert1({"rec_id": 5, "traces": [1, 2, 3]})
    assert "rec_id" in str(info.value)
    with pytest.raises(dj.DataJointError, match="not found"):
        Recording.insert1({"rec_id": 6, "traces": np.zeros(1), "raw": "/no/such/file"})
    assert len(Recording()) == 0


def test_missing_object_names_table_attribute_key_and_path(lab: dict[str, Any]) -> None:
    Recording = lab["Recording"]
    Recording.insert1({"rec_id": 7, "traces": np.zeros(2), "params": [1, 2]})
    [hashed] = _objects("_hash")
    get_store_backend("main").remove(hashed)
    with pytest.raises(dj.MissingExternalFile) as info:
        (Recording & {"rec_id": 7}).fetch1("params")
    message = str(info.value)
    assert "recording" in message
    assert "`params`" in message
    assert "'rec_id': 7" in message
    assert hashed in message
    ref = (Recording & {"rec_id": 7}).fetch1("traces")
    get_store_backend("main").remove(ref.path)
    with pytest.raises(dj.MissingExternalFile, match="`traces`") as info:
        ref.load()
    assert ref.path in str(info.value)
    assert "'rec_id': 7" in str(info.value)


def test_unconfigured_store_is_refused_at_declaration(new_schema: Any, stores: Any) -> None:
    schema = new_schema("bad")
    with pytest.raises(dj.DataJointError, match=r'dj.config\["stores"\]\["archive"\]'):

        @schema
        class Nowhere(dj.Manual):
            definition = """
            n : int32
            ---
            x : <blob@archive>
            """

    assert "nowhere" not in schema.list_tables()


def test_unreachable_store_writes_no_row(new_schema: Any, stores: Any) -> None:
    schema = new_schema("gone")

    @schema
    class Data(dj.Manual):
        definition = """
        n : int32
        ---
        x : <npy@main>
        """

    settings = dict(dj.config["stores"])
    if stores.kind == "s3":
        settings["main"] = {**settings["main"], "bucket": "no-such-bucket-here"}
    else:
        settings["main"] = {**settings["main"], "location": str(stores.root / "vanished")}
    dj.config["stores"] = settings
    with pytest.raises(dj.DataJointError, match="main") as info:
        Data.insert1({"n": 1, "x": np.zeros(2)})
    assert isinstance(info.value, (dj.BucketInaccessible, dj.ConfigError))
    assert len(Data()) == 0


def test_missing_credentials_write_no_row(
    new_schema: Any, s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    spec = {"protocol": "s3", "endpoint": s3_url, "bucket": "dj-sqla-test", "location": "nokeys"}
    schema = new_schema("keyless")
    with dj.config.override(stores={"keyless": spec}):

        @schema
        class Data(dj.Manual):
            definition = """
            n : int32
            ---
            x : <blob@keyless>
            """

        with pytest.raises(dj.BucketInaccessible, match="keyless") as info:
            Data.insert1({"n": 1, "x": [1, 2]})
    assert "credentials" in str(info.value)
    assert len(Data()) == 0


def test_staged_insert(lab: dict[str, Any]) -> None:
    Recording = lab["Recording"]
    with Recording.staged_insert1 as staged:
        staged.rec["rec_id"] = 9
        staged.rec["traces"] = np.zeros(2)
        with staged.open("raw", ".bin") as out:
            out.write(b"written in place")
    ref = (Recording & {"rec_id": 9}).fetch1("raw")
    assert (ref.read(), ref.ext, ref.size) == (b"written in place", ".bin", 16)
    with Recording.staged_insert1 as staged:
        staged.rec.update(rec_id=10, traces=np.zeros(2))
        mapping = staged.store("raw", ".zarr")
        mapping["0.0"] = b"chunk"
        mapping[".zarray"] = b"{}"
    ref = (Recording & {"rec_id": 10}).fetch1("raw")
    assert ref.is_dir
    assert ref.item_count == 2
    objects = _objects("_schema")
    with pytest.raises(ValueError, match="failed"):
        _staged_then_fail(Recording)
    assert len(Recording & {"rec_id": 11}) == 0
    assert [p for p in _objects("_schema") if "rec_id=11/raw" in p] == []
    assert _objects("_schema") == objects  # the block failed: nothing of row 11 is stored
    with pytest.raises(dj.DataJointError, match="Primary key"), Recording.staged_insert1 as s:
        s.store("raw")


def test_garbage_collection(lab: dict[str, Any]) -> None:
    Recording = lab["Recording"]
    schema = lab["schema"]
    Recording.insert1({"rec_id": 1, "traces": np.zeros(2), "params": "kept"})
    backend = get_store_backend("main")
    orphan_hash = f"_hash/{schema.database}/" + "a" * 26
    orphan_file = f"_schema/{schema.database}/recording/rec_id=5/traces_XXXXXXXX.npy"
    backend.put_buffer(b"lost", orphan_hash)
    backend.put_buffer(b"lost", orphan_file)
    report = dj.gc.GarbageCollector(schema, store="main").collect()
    assert report["dry_run"]
    assert report["deleted"] == 0
    assert report["orphaned_hash_paths"] == [orphan_hash]
    assert report["orphaned_schema_paths"] == [orphan_file]
    assert backend.exists(orphan_hash)
    report = dj.gc.GarbageCollector(schema, store="main").collect(dry_run=False)
    assert report["deleted"] == 2
    assert report["bytes_freed"] == 8
    assert not backend.exists(orphan_hash)
    assert not backend.exists(orphan_file)
    assert len(_objects()) == 2  # what the row refers to
    assert (Recording & {"rec_id": 1}).fetch1("params") == "kept"


def test_orm_session_stores_hashed_values(lab: dict[str, Any]) -> None:
    Recording = lab["Recording"]
    Recording.insert1({"rec_id": 1, "traces": np.zeros(2)})
    Analysis = lab["Analysis"]
    with OrmSession(lab["schema"].connection.engine) as session:
        session.add(Analysis(rec_id=1, result={"from": "the ORM"}))
        session.commit()
    assert (Analysis & {"rec_id": 1}).fetch1("result") == {"from": "the ORM"}
    [path] = _objects("_hash")
    assert path.startswith(f"_hash/{lab['schema'].database}/")


def test_garbage_collection_sees_tables_without_classes(
    lab: dict[str, Any], connection: dj.Connection
) -> None:
    lab["Recording"].insert1({"rec_id": 1, "traces": np.zeros(2), "params": "in use"})
    partial = dj.Schema(lab["schema"].database, connection=dj.Connection(connection.engine))
    report = dj.gc.GarbageCollector(partial, store="main").collect()  # no class declared here
    assert report["orphaned_hash_paths"] == []
    assert report["orphaned_schema_paths"] == []
    assert report["hash_paths_referenced"] == 1


def test_inserts_and_deletes_sharing_an_object_leave_nothing_dangling(
    lab: dict[str, Any],
) -> None:
    """Rows sharing one stored object are inserted and deleted at the same time, over and
    over: whatever the interleaving, every row left can read its object."""
    Recording = lab["Recording"]
    rounds, failures = 6, []
    Recording.insert1({"rec_id": 0, "traces": np.zeros(1), "params": "shared"})

    def insert(rec_id: int, barrier: threading.Barrier) -> None:
        try:
            barrier.wait(timeout=30)
            Recording.insert1({"rec_id": rec_id, "traces": np.zeros(1), "params": "shared"})
        except BaseException as err:
            failures.append(err)

    def delete(rec_id: int, barrier: threading.Barrier) -> None:
        try:
            barrier.wait(timeout=30)
            (Recording & {"rec_id": rec_id}).delete_quick()
        except BaseException as err:
            failures.append(err)

    for n in range(1, rounds + 1):
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=delete, args=(n - 1, barrier)),  # the last holder goes
            threading.Thread(target=insert, args=(n, barrier)),  # while a new one comes
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not failures
    assert Recording.keys() == [{"rec_id": rounds}]
    assert (Recording & {"rec_id": rounds}).fetch1("params") == "shared"
