"""``Table.staged_insert1``: write a large object straight into its store, then insert its row.

Inside the block the caller sets the row's key in ``staged.rec`` and writes each ``<object@>``
attribute through ``staged.store(field, ext)`` (an fsspec mapping, e.g. for zarr) or
``staged.open(field, ext)`` (a file). When the block ends without an error the objects'
metadata is computed and the row inserted; if the block or the insert fails, the written
objects are removed and no row is stored (DataJoint 2.3's behaviour and layout).

Example:
    >>> staged = StagedInsert.__new__(StagedInsert)
    >>> hasattr(staged, "store") and hasattr(staged, "open")
    True
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import IO, Any

import fsspec

from .. import table as _table
from ..codecs import resolve_dtype
from ..config import config
from ..errors import DataJointError
from ..execution.stored import store_columns
from .backend import StorageBackend
from .hashed import get_store_backend
from .paths import build_object_path


class StagedInsert:
    """One staged row: ``rec`` (its values) and the objects written for it."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self._rec: dict[str, Any] = {}
        self._staged: dict[str, tuple[str, str | None, str | None]] = {}  # field: path, ext, store

    @property
    def rec(self) -> dict[str, Any]:
        """The row's values; set at least its primary key before writing objects."""
        return self._rec

    @property
    def fs(self) -> fsspec.AbstractFileSystem:
        """The default store's filesystem."""
        return get_store_backend(None, config).fs

    def _resolve(self, field: str, ext: str) -> tuple[str, StorageBackend]:
        if field in self._staged:
            path, _, store = self._staged[field]
            return path, get_store_backend(store, config)
        table = self._table.__table__
        spec = store_columns(table).get(field)
        if spec is None or resolve_dtype(spec)[1][0].name != "object":
            raise DataJointError(
                f"Attribute '{field}' of `{table.schema}`.`{table.name}` is not an <object@> "
                "attribute; staged inserts write <object@store> attributes."
            )
        key_names = list(self._table.primary_key)
        missing = [k for k in key_names if k not in self._rec]
        if missing:
            raise DataJointError(
                f"Primary key values must be set in staged.rec before store() or open(); "
                f"missing {', '.join(missing)}."
            )
        store = resolve_dtype(spec)[2] or None
        settings = config.get_store_spec(store)
        path, _ = build_object_path(
            str(table.schema),
            self._table.__name__,
            field,
            {k: self._rec[k] for k in key_names},
            ext or None,
            settings.get("partition_pattern"),
            int(settings.get("token_length") or 8),
            schema_prefix=settings["schema_prefix"],
        )
        self._staged[field] = (path, ext or None, store)
        return path, get_store_backend(store, config)

    def store(self, field: str, ext: str = "") -> fsspec.FSMap:
        """An fsspec mapping at the object's path (``zarr.open(staged.store("x", ".zarr"))``)."""
        path, backend = self._resolve(field, ext)
        return backend.get_fsmap(path)

    def open(self, field: str, ext: str = "", mode: str = "wb") -> IO[Any]:
        """A file at the object's path, open for writing."""
        path, backend = self._resolve(field, ext)
        return backend.open(path, mode)

    def _metadata(self, field: str) -> dict[str, Any]:
        path, ext, store = self._staged[field]
        backend = get_store_backend(store, config)
        full = backend._full_path(path)
        is_dir = backend.isdir(path)
        item_count: int | None = None
        if is_dir:
            sizes = [
                int(backend.fs.size(f"{root}/{name}") or 0)
                for root, _dirs, files in backend.fs.walk(full)
                for name in files
            ]
            size, item_count = sum(sizes), len(sizes)
        else:
            size = backend.size(path) if backend.exists(path) else 0
        return {
            "path": path,
            "store": store,
            "size": size,
            "ext": ext,
            "is_dir": is_dir,
            "item_count": item_count,
            "timestamp": datetime.now(timezone.utc).isoformat(),
        }

    def _finish(self) -> None:
        for field in self._staged:
            self._rec[field] = self._metadata(field)
        self._table.insert1(self._rec)

    def _remove_written(self) -> None:
        for path, _, store in self._staged.values():
            backend = get_store_backend(store, config)
            if backend.isdir(path):
                backend.remove_folder(path)
            else:
                backend.remove(path)


@contextmanager
def staged_insert1(table: Any) -> Iterator[StagedInsert]:
    """A :class:`StagedInsert` for one row of ``table``; the row is inserted when the block
    ends, or nothing is kept if it fails."""
    staged = StagedInsert(table)
    try:
        yield staged
        staged._finish()
    except BaseException:
        staged._remove_written()
        raise


_table.staged_insert_hook = staged_insert1
