"""The codec registry (subclassing, entry points, chains) and in-row attachments vs DataJoint."""

from __future__ import annotations

import sys
import textwrap
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dj_sqla.codecs import (
    AttachCodec,
    AttachmentError,
    BlobCodec,
    Codec,
    CodecError,
    CodecNotFoundError,
    CodecRegistry,
    attachment_name,
    decode_value,
    encode_value,
    get_codec,
    is_codec_registered,
    list_codecs,
    pack,
    pack_attachment,
    parse_type_spec,
    registry,
    resolve_dtype,
    unpack_attachment,
    unregister_codec,
)
from dj_sqla.errors import DataJointError

with warnings.catch_warnings():
    # See test_blob.py: importing datajoint warns, and only this module imports it.
    warnings.simplefilter("ignore")
    from datajoint.builtin_codecs.attach import AttachCodec as DataJointAttach


@pytest.fixture
def cleanup() -> Iterator[list[str]]:
    """Names of codecs a test defines; unregistered afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        if is_codec_registered(name):
            unregister_codec(name)


# ---------------------------------------------------------------------------------------------
# Registry


def test_builtin_codecs_are_registered_like_plugins() -> None:
    assert {"attach", "blob"} <= set(list_codecs())
    assert isinstance(get_codec("blob"), BlobCodec)
    assert isinstance(get_codec("<attach>"), AttachCodec)
    assert get_codec("<blob@cold>") is get_codec("blob")
    assert resolve_dtype("<blob>") == ("bytes", [get_codec("blob")], None)
    assert resolve_dtype("<attach>")[0] == "bytes"
    assert resolve_dtype("int32") == ("int32", [], None)
    assert resolve_dtype("blob@external") == ("blob", [], "external")  # DataJoint 0.14 style


def test_parse_type_spec() -> None:
    assert parse_type_spec("<blob>") == ("blob", None)
    assert parse_type_spec(" <blob@cold> ") == ("blob", "cold")
    assert parse_type_spec("<blob@>") == ("blob", "")


def test_subclass_registers_on_definition(cleanup: list[str]) -> None:
    class Graph(Codec):
        name = "test_graph"

        def get_dtype(self, is_store: bool) -> str:
            return "<blob>"

        def encode(self, value: Any, **kw: Any) -> Any:
            return {"edges": sorted(value)}

        def decode(self, stored: Any, **kw: Any) -> Any:
            return set(stored["edges"])

    cleanup.append("test_graph")
    assert isinstance(get_codec("<test_graph>"), Graph)
    assert "test_graph" in list_codecs()
    core, chain, store = resolve_dtype("<test_graph>")
    assert (core, [c.name for c in chain], store) == ("bytes", ["test_graph", "blob"], None)
    stored = encode_value("<test_graph>", {(1, 2), (0, 1)})
    assert isinstance(stored, bytes)
    assert stored[:4] == b"dj0\0"
    assert decode_value("<test_graph>", stored) == {(1, 2), (0, 1)}
    assert decode_value("<test_graph>", None) is None


def test_register_false_and_nameless_bases_stay_out(cleanup: list[str]) -> None:
    class Base(Codec, register=False):
        name = "test_base"

        def get_dtype(self, is_store: bool) -> str:
            return "bytes"

        def encode(self, value: Any, **kw: Any) -> Any:
            return value

        def decode(self, stored: Any, **kw: Any) -> Any:
            return stored

    class Nameless(Base, register=True):
        name = None

    assert not is_codec_registered("test_base")
    assert Nameless.name is None


def test_duplicate_names_are_refused_but_redefinition_replaces(cleanup: list[str]) -> None:
    def define(name: str, note: str) -> type[Codec]:
        class Same(Codec):
            def get_dtype(self, is_store: bool) -> str:
                return "bytes"

            def encode(self, value: Any, **kw: Any) -> Any:
                return note

            def decode(self, stored: Any, **kw: Any) -> Any:
                return stored

        Same.name = name  # set before registering: register explicitly below
        return Same

    cleanup.append("test_dup")

    class First(Codec):
        name = "test_dup"

        def get_dtype(self, is_store: bool) -> str:
            return "bytes"

        def encode(self, value: Any, **kw: Any) -> Any:
            return 1

        def decode(self, stored: Any, **kw: Any) -> Any:
            return stored

    with pytest.raises(CodecError, match="registered already"):

        class Second(Codec):
            name = "test_dup"

            def get_dtype(self, is_store: bool) -> str:
                return "bytes"

            def encode(self, value: Any, **kw: Any) -> Any:
                return 2

            def decode(self, stored: Any, **kw: Any) -> Any:
                return stored

    # The same class defined again (a re-run notebook cell) replaces the first.
    again = define("test_redefined", "new")
    cleanup.append("test_redefined")
    from dj_sqla.codecs import registry

    registry.register(again)
    registry.register(define("test_redefined", "newer"))
    assert get_codec("test_redefined").encode(None) == "newer"
    assert isinstance(get_codec("test_dup"), First)


def test_a_codec_registered_again_is_resolved_anew(cleanup: list[str]) -> None:
    cleanup.append("test_again")

    def define(dtype: str) -> None:
        class Again(Codec, register=False):
            name = "test_again"

            def get_dtype(self, is_store: bool) -> str:
                return dtype

            def encode(self, value: Any, **kw: Any) -> Any:
                return value

            def decode(self, stored: Any, **kw: Any) -> Any:
                return stored

        registry.register(Again)

    define("bytes")
    assert resolve_dtype("<test_again>")[0] == "bytes"
    assert resolve_dtype("<test_again>")[0] == "bytes"  # the remembered answer
    unregister_codec("test_again")
    with pytest.raises(CodecNotFoundError):
        resolve_dtype("<test_again>")
    define("json")
    assert resolve_dtype("<test_again>")[0] == "json"


@pytest.mark.parametrize("bad", ["", "a b", "x@y", "<x>", 3])
def test_invalid_names(bad: Any) -> None:
    with pytest.raises(CodecError, match="cannot be used"):
        type("Bad", (Codec,), {"name": bad, "get_dtype": None, "encode": None, "decode": None})


def test_unknown_codec_error_lists_the_known_ones() -> None:
    with pytest.raises(CodecNotFoundError, match="Unknown codec <nope>") as info:
        get_codec("<nope>")
    assert isinstance(info.value, DataJointError)
    assert "blob" in str(info.value)
    with pytest.raises(CodecNotFoundError):
        unregister_codec("nope")


def test_chain_with_a_store_and_cycles(cleanup: list[str]) -> None:
    class HashStub(Codec):
        name = "test_hash"

        def get_dtype(self, is_store: bool) -> str:
            return "json"

        def encode(self, value: Any, **kw: Any) -> Any:
            return value

        def decode(self, stored: Any, **kw: Any) -> Any:
            return stored

    class Stored(Codec):
        name = "test_stored"

        def get_dtype(self, is_store: bool) -> str:
            return "<test_hash>" if is_store else "bytes"

        def encode(self, value: Any, **kw: Any) -> Any:
            return value

        def decode(self, stored: Any, **kw: Any) -> Any:
            return stored

    class Loop(Codec):
        name = "test_loop"

        def get_dtype(self, is_store: bool) -> str:
            return "<test_loop>"

        def encode(self, value: Any, **kw: Any) -> Any:
            return value

        def decode(self, stored: Any, **kw: Any) -> Any:
            return stored

    cleanup.extend(["test_hash", "test_stored", "test_loop"])
    core, chain, store = resolve_dtype("<test_stored@cold>")
    assert (core, [c.name for c in chain], store) == ("json", ["test_stored", "test_hash"], "cold")
    assert resolve_dtype("<test_stored@>")[2] == ""
    assert resolve_dtype("<test_stored>")[0] == "bytes"
    with pytest.raises(CodecError, match="refers to itself"):
        resolve_dtype("<test_loop>")
    # <hash> comes from the object-store layer: <blob@s> is stored through it, as JSON
    assert [c.name for c in resolve_dtype("<blob@cold>")[1]] == ["blob", "hash"]


def test_codecs_are_called_with_the_keywords_they_declare(cleanup: list[str]) -> None:
    seen: dict[str, Any] = {}

    class Old(Codec):  # written before DataJoint 2.3.4: no context, no store_name
        name = "test_old"

        def get_dtype(self, is_store: bool) -> str:
            return "bytes"

        def encode(self, value: Any, *, key: Mapping[str, Any] | None = None) -> Any:  # type: ignore[override]
            seen["encode_key"] = key
            return value

        def decode(self, stored: Any, *, key: Mapping[str, Any] | None = None) -> Any:  # type: ignore[override]
            seen["decode_key"] = key
            return stored

        def validate(self, value: Any) -> None:
            if not isinstance(value, bytes):
                raise TypeError("bytes only")

    cleanup.append("test_old")
    context = {"table": "t", "field": "f"}
    assert encode_value("<test_old>", b"x", key={"id": 1}, context=context) == b"x"
    assert decode_value("<test_old>", b"x", key={"id": 2}, context=context) == b"x"
    assert seen == {"encode_key": {"id": 1}, "decode_key": {"id": 2}}
    with pytest.raises(TypeError, match="bytes only"):
        encode_value("<test_old>", "text")


# ---------------------------------------------------------------------------------------------
# Entry points: a tiny installed distribution on a temporary sys.path entry


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dist = tmp_path / "djplug-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: djplug\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        textwrap.dedent(
            """\
            [dj_sqla.codecs]
            test_plug = djplug_codecs:PlugCodec
            test_broken = djplug_broken:Nothing

            [datajoint.codecs]
            test_foreign = djplug_codecs:ForeignCodec
            """
        )
    )
    (tmp_path / "djplug_codecs.py").write_text(
        textwrap.dedent(
            """\
            from dj_sqla.codecs import Codec

            class PlugCodec(Codec, register=False):  # registered by the entry point
                name = "test_plug"
                def get_dtype(self, is_store):
                    return "<blob>"
                def encode(self, value, *, key=None, context=None, store_name=None):
                    return [value, value]
                def decode(self, stored, *, key=None, context=None):
                    return stored[0]

            class ForeignCodec:  # a DataJoint-style codec that is not a dj_sqla Codec
                name = "test_foreign"
                def get_dtype(self, is_store):
                    return "bytes"
                def encode(self, value, *, key=None):
                    return value.encode()
                def decode(self, stored, *, key=None):
                    return stored.decode()
            """
        )
    )
    (tmp_path / "djplug_broken.py").write_text("raise RuntimeError('plugin is broken')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for module in ("djplug_codecs", "djplug_broken"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    return tmp_path


def test_entry_points_load_lazily_on_first_lookup(plugin_path: Path) -> None:
    registry = CodecRegistry()
    assert "djplug_codecs" not in sys.modules
    codec = registry.get("<test_plug>")
    assert "djplug_codecs" in sys.modules
    assert codec.name == "test_plug"
    assert registry.get("test_plug") is codec
    assert "djplug_broken" not in sys.modules  # not looked up, not imported


def test_foreign_and_broken_plugins(plugin_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    registry = CodecRegistry()
    foreign = registry.get("test_foreign")
    assert isinstance(foreign, Codec)
    assert foreign.name == "test_foreign"
    assert foreign.get_dtype(False) == "bytes"
    assert foreign.encode("é", key=None, context={"x": 1}) == "é".encode()
    assert foreign.decode(b"ok") == "ok"
    with pytest.raises(CodecNotFoundError, match="cannot be loaded") as info:
        registry.get("test_broken")
    assert "plugin is broken" in str(info.value)
    with caplog.at_level("WARNING"):
        names = registry.names()
    assert {"test_plug", "test_foreign"} <= set(names)
    assert "test_broken" not in names
    assert "plugin is broken" in caplog.text


def test_plugin_groups_are_datajoints() -> None:
    from dj_sqla.codecs import ENTRY_POINT_GROUPS

    assert ENTRY_POINT_GROUPS == ("dj_sqla.codecs", "datajoint.codecs", "datajoint.types")


# ---------------------------------------------------------------------------------------------
# Attachments


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_attachment_layout_is_datajoints(tmp_path: Path) -> None:
    source = write(tmp_path / "src" / "scan.tif", b"\x00\x01binary\xff")
    ours = pack_attachment(source)
    assert ours == b"scan.tif\0\x00\x01binary\xff"
    assert ours == DataJointAttach().encode(str(source))
    assert attachment_name(ours) == "scan.tif"
    assert pack_attachment(write(tmp_path / "empty", b"")) == b"empty\0"


def test_attachments_cross_libraries(tmp_path: Path) -> None:
    source = write(tmp_path / "src" / "notes.txt", "héllo".encode())
    theirs = DataJointAttach().encode(str(source))
    got = unpack_attachment(theirs, tmp_path / "ours")
    assert got == tmp_path / "ours" / "notes.txt"
    assert got.read_bytes() == source.read_bytes()
    back = DataJointAttach().decode(
        pack_attachment(source), context={"config": {"download_path": str(tmp_path / "dj")}}
    )
    assert Path(back).read_bytes() == source.read_bytes()


def test_existing_files_follow_datajoint(tmp_path: Path) -> None:
    """Same contents: reused; other contents: name_1, name_2, ... as DataJoint 2 does."""
    ours_dir, dj_dir = tmp_path / "ours", tmp_path / "dj"
    dj = DataJointAttach()
    for contents in (b"one", b"one", b"two", b"three", b"two", b"one"):
        data = b"report.csv\0" + contents
        mine = unpack_attachment(data, ours_dir)
        theirs = Path(dj.decode(data, context={"config": {"download_path": str(dj_dir)}}))
        assert mine.name == theirs.name
        assert mine.read_bytes() == contents
    assert sorted(p.name for p in ours_dir.iterdir()) == sorted(p.name for p in dj_dir.iterdir())
    assert sorted(p.name for p in ours_dir.iterdir()) == [
        "report.csv",
        "report_1.csv",
        "report_2.csv",
    ]


def test_attach_codec(tmp_path: Path) -> None:
    source = write(tmp_path / "a.json", b"{}")
    codec = get_codec("attach")
    with pytest.raises(TypeError):
        codec.validate(3)
    stored = encode_value("<attach>", source)
    path = decode_value("<attach>", stored, context={"download_path": str(tmp_path / "out")})
    assert path == str(tmp_path / "out" / "a.json")


@pytest.mark.parametrize(
    "data", [b"no separator", b"../escape.txt\0x", b"/etc/passwd\0x", b"\0x", b"..\0x"]
)
def test_bad_attachments_are_refused(data: bytes, tmp_path: Path) -> None:
    with pytest.raises(AttachmentError):
        unpack_attachment(data, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_attaching_missing_files_and_folders(tmp_path: Path) -> None:
    with pytest.raises(AttachmentError, match="Cannot attach"):
        pack_attachment(tmp_path / "missing.txt")
    with pytest.raises(AttachmentError, match="folder"):
        pack_attachment(tmp_path)


def test_blob_codec_is_pack() -> None:
    value = {"x": np.arange(5)}
    assert get_codec("blob").encode(value) == pack(value)
    assert np.array_equal(decode_value("<blob>", encode_value("<blob>", value))["x"], value["x"])
