"""The codecs that keep values in object stores, registered in the codec registry.

* ``<hash@s>``: bytes, stored once per schema under their content hash; ``<blob@s>`` and
  ``<attach@s>`` are stored through it.
* ``<object@s>``: a file, a folder, bytes or ``(ext, stream)``, at a path of its own made from
  the schema, table, key and attribute (:class:`SchemaCodec`); fetched as an :class:`ObjectRef`.
* ``<npy@s>``: a numpy array as a ``.npy`` file; fetched as an :class:`NpyRef`.
* ``<filepath@s>``: a file already in the store, referenced with its size and checksum.

The row keeps DataJoint 2.3's JSON metadata (``path``, ``store``, ...), so DataJoint reads
what dj_sqla stored and the other way round.

Example:
    >>> from dj_sqla.codecs import resolve_dtype
    >>> core, chain, store = resolve_dtype("<blob@raw>")
    >>> core, [c.name for c in chain], store
    ('json', ['blob', 'hash'], 'raw')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ..codecs import Codec, FilepathError
from ..codecs.journal import note_created
from ..config import config as global_config
from ..errors import DataJointError
from .backend import StorageBackend
from .hashed import get_hash, get_store_backend, put_hash
from .paths import build_object_path, compute_hash
from .refs import NpyRef, ObjectRef


def _config(codec: Codec, key: Mapping[str, Any] | None, context: Mapping[str, Any] | None) -> Any:
    return codec._codec_config(key, context) or global_config


class HashCodec(Codec):
    """``<hash@store>``: bytes stored once per schema under their content hash.

    The row keeps ``{hash, path, schema, store, size}``; the object is removed when the last
    row that refers to it is deleted (or by garbage collection).
    """

    name = "hash"

    def get_dtype(self, is_store: bool) -> str:
        if not is_store:
            raise DataJointError("<hash> requires @: its values go to a store (<hash@store>)")
        return "json"

    def validate(self, value: Any) -> None:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TypeError(f"<hash> stores bytes, not a {type(value).__name__}")

    def encode(
        self,
        value: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        store_name: str | None = None,
    ) -> dict[str, Any]:
        schema = (context or {}).get("schema") or (key or {}).get("_schema", "unknown")
        return put_hash(bytes(value), schema, store_name, _config(self, key, context))

    def decode(
        self,
        stored: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return get_hash(stored, _config(self, key, context))


class SchemaCodec(Codec, register=False):
    """Base of codecs whose objects live at paths made from the schema, table, key and
    attribute (DataJoint 2.3's schema-addressed storage); stored in the row as JSON.

    Subclasses use :meth:`_extract_context`, :meth:`_build_path` and :meth:`_get_backend`.
    """

    #: How headings and garbage collection tell schema-addressed codecs (subclasses too).
    schema_addressed = True

    def get_dtype(self, is_store: bool) -> str:
        if not is_store:
            raise DataJointError(
                f"<{self.name}> requires @: its values go to a store (<{self.name}@store>)"
            )
        return "json"

    def _extract_context(
        self, key: Mapping[str, Any] | None, context: Mapping[str, Any] | None = None
    ) -> tuple[str, str, str, dict[str, Any]]:
        """``(schema, table, field, primary_key)`` of the value being encoded."""
        values = dict(key or {})
        given = context or {}
        schema = given.get("schema", values.pop("_schema", "unknown"))
        table = given.get("table", values.pop("_table", "unknown"))
        field = given.get("field", values.pop("_field", "data"))
        primary_key = {k: v for k, v in values.items() if not k.startswith("_")}
        return str(schema), str(table), str(field), primary_key

    def _build_path(
        self,
        schema: str,
        table: str,
        field: str,
        primary_key: Mapping[str, Any],
        ext: str | None = None,
        store_name: str | None = None,
        config: Any = None,
    ) -> tuple[str, str]:
        """The object's path and token:
        ``{schema_prefix}/{schema}/{table}/{key}/{field}_{token}{ext}``."""
        spec = (config or global_config).get_store_spec(store_name or None)
        return build_object_path(
            schema,
            table,
            field,
            primary_key,
            ext,
            spec.get("partition_pattern"),
            int(spec.get("token_length") or 8),
            schema_prefix=spec["schema_prefix"],
        )

    def _get_backend(self, store_name: str | None = None, config: Any = None) -> StorageBackend:
        """The store's backend."""
        return get_store_backend(store_name, config)

    def decode(
        self,
        stored: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Any:
        backend = self._get_backend(stored.get("store"), _config(self, key, context))
        ref = ObjectRef.from_json(stored, backend=backend)
        ref._where = (context or {}).get("column")
        return ref


def _forget(backend: StorageBackend, path: str, is_dir: bool) -> None:
    """Note a new object, removed again if the insert fails."""
    note_created(lambda: backend.remove_folder(path) if is_dir else backend.remove(path))


class ObjectCodec(SchemaCodec):
    """``<object@store>``: a file or folder (a path), bytes, or ``(ext, bytes or stream)``;
    fetched as an :class:`ObjectRef`."""

    name = "object"

    def validate(self, value: Any) -> None:
        if isinstance(value, bytes | str | os.PathLike) or (
            isinstance(value, tuple) and len(value) == 2
        ):
            return
        if isinstance(value, dict) and "path" in value:
            return
        raise TypeError(
            f"<object> takes a file or folder path or bytes, not a {type(value).__name__}"
        )

    def encode(
        self,
        value: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        store_name: str | None = None,
    ) -> dict[str, Any]:
        if isinstance(value, dict):
            return value  # metadata of an object already written (staged_insert1)
        schema, table, field, primary_key = self._extract_context(key, context)
        config = _config(self, key, context)
        ext: str | None = None
        content: bytes | None = None
        source: Path | None = None
        if isinstance(value, bytes):
            content = value
        elif isinstance(value, tuple):
            ext, data = value
            content = data.read() if hasattr(data, "read") else bytes(data)
        else:
            source = Path(value)
            if not source.exists():
                raise DataJointError(f"<object>: source path not found: {source}")
            ext = None if source.is_dir() else (source.suffix or None)
        path, _ = self._build_path(schema, table, field, primary_key, ext, store_name, config)
        backend = self._get_backend(store_name, config)
        is_dir = source is not None and source.is_dir()
        item_count = None
        if is_dir:
            assert source is not None
            _forget(backend, path, True)
            manifest = backend.put_folder(source, path)
            size, item_count = manifest["total_size"], manifest["item_count"]
        elif source is not None:
            _forget(backend, path, False)
            backend.put_file(source, path)
            size = source.stat().st_size
        else:
            assert content is not None
            _forget(backend, path, False)
            backend.put_buffer(content, path)
            size = len(content)
        return {
            "path": path,
            "store": store_name,
            "size": size,
            "ext": ext,
            "is_dir": is_dir,
            "item_count": item_count,
            "timestamp": datetime.now(timezone.utc).isoformat(),
        }


class NpyCodec(SchemaCodec):
    """``<npy@store>``: a numpy array as a standard ``.npy`` file; fetched as an
    :class:`NpyRef` whose shape and dtype come from the row."""

    name = "npy"

    def validate(self, value: Any) -> None:
        if not isinstance(value, np.ndarray):
            raise DataJointError(f"<npy> requires numpy.ndarray, not a {type(value).__name__}")
        if value.dtype.hasobject:
            raise DataJointError("<npy> cannot store arrays of Python objects (object dtype)")

    def encode(
        self,
        value: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        store_name: str | None = None,
    ) -> dict[str, Any]:
        schema, table, field, primary_key = self._extract_context(key, context)
        config = _config(self, key, context)
        path, _ = self._build_path(schema, table, field, primary_key, ".npy", store_name, config)
        backend = self._get_backend(store_name, config)
        _forget(backend, path, False)
        backend.write_with(
            path, lambda out: np.lib.format.write_array(out, value, allow_pickle=False)
        )
        return {
            "path": path,
            "store": store_name,
            "dtype": str(value.dtype),
            "shape": list(value.shape),
        }

    def decode(
        self,
        stored: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> NpyRef:
        backend = self._get_backend(stored.get("store"), _config(self, key, context))
        return NpyRef(stored, backend, (context or {}).get("column"))


class FilepathCodec(Codec):
    """``<filepath@store>``: a file (or folder) already in the store, given by its path inside
    the store; the row keeps its size and checksum, so a changed file is noticed on read."""

    name = "filepath"

    def get_dtype(self, is_store: bool) -> str:
        if not is_store:
            raise DataJointError("<filepath> requires @: it names a store (<filepath@store>)")
        return "json"

    def validate(self, value: Any) -> None:
        if not isinstance(value, str | os.PathLike):
            raise TypeError(f"<filepath> takes a path in the store, not a {type(value).__name__}")

    def encode(
        self,
        value: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        store_name: str | None = None,
    ) -> dict[str, Any]:
        config = _config(self, key, context)
        spec = config.get_store_spec(store_name or None, use_filepath_default=not store_name)
        path = Path(value).as_posix()
        relative = path.lstrip("/")
        for section in ("hash_prefix", "schema_prefix"):
            prefix = spec.get(section)
            if prefix and relative.startswith(prefix.strip("/") + "/"):
                raise FilepathError(
                    f"<filepath@> cannot use reserved section '{prefix.strip('/')}' ({section}) "
                    f"for {path}: the store's {section.split('_')[0]} section is managed by "
                    "dj_sqla; keep the file elsewhere in the store."
                )
        required = spec.get("filepath_prefix")
        if required and not relative.startswith(required.strip("/") + "/"):
            raise FilepathError(
                f"<filepath@> must use prefix '{required.strip('/')}' (filepath_prefix); got "
                f"{path}: keep the file under {required.strip('/')}/ in the store."
            )
        backend = get_store_backend(spec["_name"], config)
        if not backend.exists(path):
            raise DataJointError(
                f"<filepath@{spec['_name']}>: no file {path} in the store "
                f"({backend.get_url(path)}); put the file there first."
            )
        is_dir = backend.isdir(path)
        size = None if is_dir else backend.size(path)
        limit = global_config.get("filepath_checksum_size_limit")
        checksum = None
        if not is_dir and (limit is None or (size or 0) <= limit):
            checksum = compute_hash(backend.get_buffer(path))
        return {
            "path": path,
            "store": store_name,
            "size": size,
            "is_dir": is_dir,
            "hash": checksum,
            "timestamp": datetime.now(timezone.utc).isoformat(),
        }

    def decode(
        self,
        stored: Any,
        *,
        key: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> ObjectRef:
        config = _config(self, key, context)
        store = stored.get("store")
        spec = config.get_store_spec(store or None, use_filepath_default=not store)
        ref = ObjectRef.from_json(stored, backend=get_store_backend(spec["_name"], config))
        ref._where = (context or {}).get("column")
        return ref
