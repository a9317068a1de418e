"""Blob, attachment and codec columns on every backend: values in, the same values out.

``longblob`` (DataJoint 0.14) and ``<blob>`` (2.x) serialize in DataJoint's byte format,
``attach`` / ``<attach>`` keep a file in the row, ``bytes`` stays raw, and a ``dj.Codec``
subclass is a column type by its name.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

import dj_sqla as dj
from dj_sqla.codecs import blob

sys.path.insert(0, str(Path(__file__).parents[1] / "interop"))
import blob_cases  # the values the interoperability tests use too


@pytest.fixture
def recordings(new_schema: Callable[..., dj.Schema]) -> type:
    schema = new_schema("blobs")

    @schema
    class Recording(dj.Manual):
        definition = """
        rec_id : int32
        ---
        times : longblob              # DataJoint 0.14's spelling
        meta = null : <blob>          # DataJoint 2's
        report = null : attach
        raw = null : bytes            # not serialized
        """

    return Recording


def test_every_kind_of_value_round_trips(recordings: Any) -> None:
    values = blob_cases.values()
    recordings.insert({"rec_id": i, "times": v, "meta": [v]} for i, v in values.items())
    found = dict(zip(*recordings.fetch("rec_id", "times"), strict=True))
    assert blob_cases.mismatches(found) == []
    wrapped = {r["rec_id"]: r["meta"][0] for r in recordings.to_dicts()}
    assert blob_cases.mismatches(wrapped) == []
    assert recordings.describe().splitlines()[2:6] == [
        "times : <blob>  # DataJoint 0.14's spelling",
        "meta = null : <blob>  # DataJoint 2's",
        "report = null : <attach>",
        "raw = null : bytes  # not serialized",
    ]


def test_arrays_keep_dtype_shape_and_order(recordings: Any) -> None:
    fortran = np.asfortranarray(np.arange(6, dtype=">i4").reshape(2, 3))
    recordings.insert1({"rec_id": 1, "times": fortran, "raw": b"\x00\x01"})
    times, raw = (recordings & {"rec_id": 1}).fetch1("times", "raw")
    assert times.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert times.dtype == np.int32
    assert times.shape == (2, 3)
    assert raw == b"\x00\x01"
    frame = recordings.to_pandas()
    assert frame.loc[1, "times"].tolist() == [[0, 1, 2], [3, 4, 5]]


def test_attachments_download_to_the_given_folder(recordings: Any, tmp_path: Path) -> None:
    source = tmp_path / "source" / "report.txt"
    source.parent.mkdir()
    source.write_text("spike sorting report")
    recordings.insert1({"rec_id": 1, "times": [], "report": str(source)})
    into = tmp_path / "downloads"
    into.mkdir()
    path = (recordings & {"rec_id": 1}).fetch1("report", download_path=str(into))
    assert Path(path).parent == into
    assert Path(path).name == "report.txt"
    assert Path(path).read_text() == "spike sorting report"
    listed = recordings.to_dicts(download_path=str(into))
    assert Path(listed[0]["report"]).read_text() == "spike sorting report"
    with pytest.raises(dj.DataJointError, match="report"):
        recordings.insert1({"rec_id": 2, "times": [], "report": str(tmp_path / "missing.txt")})
    assert len(recordings()) == 1


def test_a_value_that_cannot_be_serialized_is_refused_whole(recordings: Any) -> None:
    rows = [{"rec_id": 1, "times": [1, 2]}, {"rec_id": 2, "times": object()}]
    with pytest.raises(dj.DataJointError) as caught:
        recordings.insert(rows)
    message = str(caught.value)
    assert "`times`" in message
    assert "{'rec_id': 2}" in message
    assert "object" in message
    assert len(recordings()) == 0  # nothing of the insert was stored


def test_a_blob_that_cannot_be_decoded_names_table_and_attribute(recordings: Any) -> None:
    recordings.insert1({"rec_id": 1, "times": [1]})
    table = recordings.__table__
    recordings.insert1({"rec_id": 2, "times": [2]})
    with recordings.connection.transaction as conn:  # bytes that are no DataJoint blob
        conn.execute(
            sa.update(table)
            .where(table.c.rec_id == 1)
            .values(times=sa.type_coerce(b"garbage!", sa.LargeBinary))
        )
    for fetch in (recordings.to_dicts, lambda: (recordings & {"rec_id": 1}).fetch1()):
        with pytest.raises(dj.DataJointError) as caught:
            fetch()
        message = str(caught.value)
        assert "`times`" in message
        assert recordings.__table__.name in message
        assert "{'rec_id': 1}" in message  # the row whose value failed
    assert (recordings & {"rec_id": 2}).fetch1("times") == [2]


def test_orm_sessions_and_select_see_decoded_values(recordings: Any) -> None:
    recordings.insert1({"rec_id": 1, "times": np.arange(3.0), "meta": {"a": 1}})
    with Session(recordings.connection.engine) as session:
        row = session.get(recordings, 1)
        assert row.times.tolist() == [0.0, 1.0, 2.0]
        assert row.meta == {"a": 1}
        session.add(recordings(rec_id=2, times=np.eye(2)))
        session.commit()
    with recordings.connection.engine.connect() as conn:
        stored = conn.execute(sa.select(recordings.times).where(recordings.rec_id == 2)).scalar()
    assert stored.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_a_computed_table_stores_arrays_from_make(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("spikes")

    @schema
    class Recording(dj.Manual):
        definition = "rec_id : int32\n---\nsignal : longblob"

    @schema
    class Spikes(dj.Computed):
        definition = """
        -> Recording
        ---
        times : longblob        # indices above threshold
        stats : <blob>
        """

        def make(self, key: dict[str, Any]) -> None:
            signal = (Recording & key).fetch1("signal")
            times = np.flatnonzero(signal > 0.5)
            self.insert1(dict(key, times=times, stats={"n": len(times), "max": signal.max()}))

    rng = np.random.default_rng(1)
    Recording.insert({"rec_id": i, "signal": rng.random(1000)} for i in range(3))
    assert Spikes.populate() == {"success_count": 3, "error_list": []}
    for key in Recording.keys(order_by="KEY"):
        signal = (Recording & key).fetch1("signal")
        times, stats = (Spikes & key).fetch1("times", "stats")
        assert np.array_equal(times, np.flatnonzero(signal > 0.5))
        assert stats == {"n": len(times), "max": signal.max()}


def test_a_codec_subclass_is_a_column_type(new_schema: Callable[..., dj.Schema]) -> None:
    class Upper(dj.Codec):
        """Stores text upper-cased, as bytes (a toy codec)."""

        name = "djt_upper"

        def get_dtype(self, is_store: bool) -> str:
            return "bytes"

        def encode(self, value: Any, *, key: Any = None, store_name: Any = None) -> bytes:
            return str(value).upper().encode()

        def decode(self, stored: Any, *, key: Any = None) -> str:
            return bytes(stored).decode()

    try:
        assert "djt_upper" in dj.list_codecs()
        assert isinstance(dj.get_codec("djt_upper"), Upper)
        schema = new_schema("codec")

        @schema
        class Note(dj.Manual):
            definition = "note_id : int32\n---\ntext : <djt_upper>"

        Note.insert1({"note_id": 1, "text": "quiet"})
        assert Note.fetch1("text") == "QUIET"
        assert "text : <djt_upper>" in Note.describe()
    finally:
        dj.codecs.unregister_codec("djt_upper")


def test_unknown_codecs_and_stores_are_refused_at_declaration(
    new_schema: Callable[..., dj.Schema],
) -> None:
    schema = new_schema("refused")
    with pytest.raises(dj.DefinitionError, match="no codec `nothing_here` is registered"):

        @schema
        class A(dj.Manual):
            definition = "a : int32\n---\nx : <nothing_here>"

    with pytest.raises(dj.DefinitionError, match='Store "raw" is not configured'):

        @schema
        class B(dj.Manual):
            definition = "b : int32\n---\nx : <blob@raw>"

    with pytest.raises(dj.DefinitionError, match="primary key"):

        @schema
        class C(dj.Manual):
            definition = "c : longblob"


@pytest.mark.parametrize("backend", ["mysql"])  # the only server that cuts off large packets
def test_a_value_beyond_the_servers_packet_limit_is_refused_before_sending(
    recordings: Any,
) -> None:
    with recordings.connection.engine.connect() as conn:
        limit = conn.exec_driver_sql("SELECT @@max_allowed_packet").scalar()
    big = np.random.default_rng(0).random(int(limit) // 8 + 1000)  # incompressible: too big
    with pytest.raises(dj.DataJointError, match="max_allowed_packet"):
        recordings.insert1({"rec_id": 1, "times": big})
    assert len(recordings()) == 0
    recordings.insert1({"rec_id": 2, "times": [1]})  # the connection still works
    assert len(recordings()) == 1


@pytest.mark.parametrize("backend", ["mysql"])  # DataJoint 0.14 ran on MySQL only
def test_an_unmarked_blob_of_an_existing_database_is_read_as_0_14_wrote_it(
    connection: dj.Connection, schema_name: Callable[[str], str]
) -> None:
    name = schema_name("legacy")
    dj.Schema(name, connection=connection)  # creates the database
    blob = dj.codecs.pack(np.arange(4.0))
    with connection.transaction:  # a table as DataJoint 0.14 declared it: no type marker
        connection.query(
            f"CREATE TABLE `{name}`.`recording` (rec_id int NOT NULL, "
            "`signal` longblob, PRIMARY KEY (rec_id))"
        )
        connection.query(
            f"INSERT INTO `{name}`.`recording` VALUES (%s, %s), (%s, %s)",
            (1, blob, 2, b"\x00not a blob"),
        )
    legacy = dj.virtual_schema(name, connection=connection)
    assert "signal = null : longblob" in legacy.Recording.describe()
    values = dict(zip(*legacy.Recording.fetch("rec_id", "signal"), strict=True))
    assert values[1].tolist() == [0.0, 1.0, 2.0, 3.0]  # serialized: deserialized
    assert values[2] == b"\x00not a blob"  # other bytes: as stored


def _mym_32bit_struct() -> bytes:
    """A 1x1 struct (hits: 1x3 double, stage: 'ABC') as the 32-bit mYm library for MATLAB
    writes it: lengths, counts and dimensions as uint32."""

    def array(ndim_dims: tuple[int, ...], class_id: int, data: bytes) -> bytes:
        body = b"A" + struct.pack(f"<{len(ndim_dims) + 1}I", len(ndim_dims), *ndim_dims)
        body += struct.pack("<2I", class_id, 0) + data
        return struct.pack("<I", len(body)) + body

    hits = array((1, 3), 6, struct.pack("<3d", float("nan"), 1.0, 0.0))
    stage = array((1, 3), 4, "ABC".encode("utf-16-le"))
    head = b"mYm\0S" + struct.pack("<4I", 2, 1, 1, 2) + b"hits\0stage\0"
    return head + hits + stage


@pytest.fixture
def blob_flags() -> Any:
    yield blob
    blob.use_32bit_dims = False
    blob.bypass_serialization = False


def test_blobs_of_32bit_matlab_are_read_when_asked(recordings: Any, blob_flags: Any) -> None:
    Recording = recordings
    Recording.insert1({"rec_id": 1, "times": 0})
    table = Recording.__table__
    raw = sa.literal(_mym_32bit_struct(), sa.LargeBinary())
    with Recording.connection.engine.begin() as conn:
        conn.execute(table.update().values(times=raw))
    with pytest.raises(dj.DataJointError, match="times"):
        Recording.fetch1("times")
    blob_flags.use_32bit_dims = True
    value = Recording.fetch1("times")
    np.testing.assert_array_equal(value["hits"][0, 0], [[np.nan, 1.0, 0.0]])
    assert value["stage"][0, 0].tolist() == ["ABC"]


def test_bypass_serialization_copies_blobs_as_bytes(recordings: Any, blob_flags: Any) -> None:
    Recording = recordings
    array = np.arange(12.0).reshape(3, 4)
    Recording.insert1({"rec_id": 1, "times": array, "meta": {"a": [1, 2]}})
    blob_flags.bypass_serialization = True
    row = Recording.fetch1()
    assert isinstance(row["times"], bytes)
    assert row["times"].startswith(b"mYm\0")
    Recording.insert1({**row, "rec_id": 2})
    with pytest.raises(dj.DataJointError, match="bypass_serialization"):
        Recording.insert1({"rec_id": 3, "times": array})
    blob_flags.bypass_serialization = False
    copy = (Recording & {"rec_id": 2}).fetch1()
    np.testing.assert_array_equal(copy["times"], array)
    assert copy["meta"] == {"a": [1, 2]}


def test_a_blob_column_of_numbers_and_arrays_fetches_as_objects(recordings: Any) -> None:
    Recording = recordings
    ragged = [3, {"k": np.ones((2, 2))}, np.zeros((4, 2)), np.zeros(3)]
    Recording.insert([{"rec_id": i, "times": value} for i, value in enumerate(ragged)])
    times = Recording.fetch("times", order_by="KEY")
    assert times.dtype == object
    assert times[0] == 3
    assert times[2].shape == (4, 2)
    assert times[3].shape == (3,)
    assert Recording.to_arrays()["times"].dtype == object
