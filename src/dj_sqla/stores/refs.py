"""Lazy references to stored objects: what ``<object@>``, ``<filepath@>`` and ``<npy@>`` fetch.

Fetching a row reads only its metadata from the database; the object store is touched when
the data is asked for (``read()``, ``open()``, ``load()``, an fsspec path for zarr). The
classes and their attributes are DataJoint 2.3's (``ObjectRef``, ``NpyRef``).

Example:
    >>> ref = ObjectRef.from_json({"path": "_schema/lab/t/id=1/f_x.dat", "size": 3,
    ...                            "ext": ".dat", "is_dir": False, "timestamp": None})
    >>> ref, str(ref)
    (ObjectRef(file: _schema/lab/t/id=1/f_x.dat, size=3), '_schema/lab/t/id=1/f_x.dat')
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import fsspec
import numpy as np

from ..codecs import MissingStoredObject, StoredObjectError
from ..errors import DataJointError, MissingExternalFile
from .backend import StorageBackend
from .paths import compute_hash


def _named(store: Any, path: str) -> str:
    describe = getattr(store, "describe", None)
    return str(describe(path)) if describe is not None else path


class IntegrityError(DataJointError):
    """A stored object does not match its metadata (size, checksum or folder manifest)."""


def _located(message: str, where: Any, path: str) -> str:
    """The message with the table, attribute and key the reference was fetched from."""
    if where:
        key = f", key {where[2]!r}" if len(where) > 2 else ""
        return f"Table {where[0]}, attribute `{where[1]}`{key}: {message} ({path})"
    return f"{message} ({path})"


@dataclass
class ObjectRef:
    """A file or folder in an object store, fetched from an ``<object@>`` or ``<filepath@>``
    attribute; reads the store only when asked to.

    Attributes:
        path: The object's path inside its store.
        size: Its size in bytes (the sum for a folder), or None.
        hash: Its content hash (Base32 MD5, DataJoint 2's), or None.
        ext: Its file extension (``".zarr"``), or None.
        is_dir: Whether it is a folder (a key prefix on object stores).
        timestamp: When it was stored.
        store: The store's name (None for the default store).
        item_count: The number of files of a folder.
    """

    path: str
    size: int | None
    hash: str | None
    ext: str | None
    is_dir: bool
    timestamp: datetime | None
    url: str | None = None
    store: str | None = None
    mime_type: str | None = None
    item_count: int | None = None
    _backend: StorageBackend | None = field(default=None, repr=False, compare=False)
    _where: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_json(
        cls, json_data: dict[str, Any] | str, backend: StorageBackend | None = None
    ) -> ObjectRef:
        """A reference from the metadata kept in the row (a dict or its JSON text)."""
        data = json.loads(json_data) if isinstance(json_data, str) else json_data
        stamp = data.get("timestamp")
        if isinstance(stamp, str):
            stamp = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        return cls(
            path=data["path"],
            size=data.get("size"),
            hash=data.get("hash"),
            ext=data.get("ext"),
            is_dir=bool(data.get("is_dir", False)),
            timestamp=stamp,
            url=data.get("url"),
            store=data.get("store"),
            mime_type=data.get("mime_type"),
            item_count=data.get("item_count"),
            _backend=backend,
        )

    def to_json(self) -> dict[str, Any]:
        """The metadata as kept in the row."""
        data: dict[str, Any] = {
            "path": self.path,
            "size": self.size,
            "hash": self.hash,
            "ext": self.ext,
            "is_dir": self.is_dir,
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
        }
        optional = {"url": self.url, "store": self.store, "mime_type": self.mime_type}
        data.update({k: v for k, v in optional.items() if v})
        if self.item_count is not None:
            data["item_count"] = self.item_count
        return data

    def _store(self) -> StorageBackend:
        if self._backend is None:
            raise DataJointError(
                f"ObjectRef {self.path} has no store; fetch it from its table to read it."
            )
        return self._backend

    @property
    def fs(self) -> fsspec.AbstractFileSystem:
        """The store's fsspec filesystem."""
        return self._store().fs

    @property
    def fsmap(self) -> fsspec.FSMap:
        """A mapping view of the object (``zarr.open(ref.fsmap)``)."""
        return self._store().get_fsmap(self.path)

    @property
    def full_path(self) -> str:
        """The object's path on its filesystem (what ``ref.fs`` opens)."""
        return self._store()._full_path(self.path)

    @property
    def fs_url(self) -> str:
        """A URL of the object (``s3://bucket/...``, ``file:///...``)."""
        return self._store().get_url(self.path)

    def read(self) -> bytes:
        """The file's contents (checked against its checksum when the row keeps one)."""
        if self.is_dir:
            raise DataJointError("Cannot read() a folder object; use listdir(), walk() or open().")
        data = self._read(self.path)
        if self.hash and compute_hash(data) != self.hash:
            raise StoredObjectError(
                _located(
                    "the stored file no longer matches its checksum",
                    self._where,
                    self._store().describe(self.path),
                ),
                hint="It was changed after it was inserted; restore it, or insert it again.",
            )
        return data

    def _read(self, path: str) -> bytes:
        try:
            return self._store().get_buffer(path)
        except MissingExternalFile:
            raise MissingStoredObject(
                _located("the stored object is missing", self._where, self._store().describe(path))
            ) from None

    def open(self, subpath: str | None = None, mode: str = "rb") -> IO[Any]:
        """An open file of the object (or of ``subpath`` inside a folder object)."""
        if subpath and not self.is_dir:
            raise DataJointError("Cannot use a subpath with a file object.")
        return self._store().open(f"{self.path}/{subpath}" if subpath else self.path, mode)

    def listdir(self, subpath: str = "") -> list[str]:
        """The names in the folder object (or in ``subpath`` inside it)."""
        if not self.is_dir:
            raise DataJointError("Cannot listdir() a file object; use read() or open().")
        store = self._store()
        full = store._full_path(f"{self.path}/{subpath}" if subpath else self.path)
        return [entry.rstrip("/").split("/")[-1] for entry in store.fs.ls(full, detail=False)]

    def walk(self) -> Iterator[tuple[str, list[str], list[str]]]:
        """Like ``os.walk`` over the folder object, with paths relative to it."""
        if not self.is_dir:
            raise DataJointError("Cannot walk() a file object.")
        store = self._store()
        full = store._full_path(self.path)
        for root, dirs, files in store.fs.walk(full):
            yield root[len(full) :].lstrip("/"), list(dirs), list(files)

    def download(self, destination: str | Path, subpath: str | None = None) -> Path:
        """Copy the object (or ``subpath`` of a folder) to a local folder or file."""
        store = self._store()
        target = Path(destination)
        if subpath and not self.is_dir:
            raise DataJointError("Cannot use a subpath with a file object.")
        remote = f"{self.path}/{subpath}" if subpath else self.path
        if self.is_dir and not subpath:
            target.mkdir(parents=True, exist_ok=True)
            store.fs.get(store._full_path(remote), str(target), recursive=True)
            return target
        if target.is_dir():
            target = target / remote.split("/")[-1]
        if self.hash and not subpath:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.read())
        else:
            store.get_file(remote, target)
        return target

    def exists(self, subpath: str | None = None) -> bool:
        """Whether the object (or ``subpath`` inside it) is in the store."""
        return self._store().exists(f"{self.path}/{subpath}" if subpath else self.path)

    def verify(self) -> bool:
        """Check the object against its metadata: size and checksum of a file, the manifest
        of a folder.

        Raises:
            IntegrityError: Something is missing or differs (named).
        """
        store = self._store()
        if not self.is_dir:
            if not store.exists(self.path):
                raise IntegrityError(f"File does not exist: {self.path}")
            if self.size is not None and store.size(self.path) != self.size:
                raise IntegrityError(f"Size mismatch for {self.path}")
            if self.hash and compute_hash(store.get_buffer(self.path)) != self.hash:
                raise IntegrityError(f"Hash mismatch for {self.path}")
            return True
        manifest = f"{self.path}.manifest.json"
        if not store.exists(manifest):
            return True
        problems = []
        for item in json.loads(store.get_buffer(manifest)).get("files", []):
            name = f"{self.path}/{item['path']}"
            if not store.exists(name):
                problems.append(f"Missing file: {item['path']}")
            elif store.size(name) != item["size"]:
                problems.append(f"Size mismatch for {item['path']}")
        if problems:
            raise IntegrityError("Folder verification failed:\n" + "\n".join(problems))
        return True

    def _set_key(self, key: dict[str, Any]) -> None:
        if self._where is not None:
            self._where = (*self._where[:2], key)

    def __repr__(self) -> str:
        kind = "folder" if self.is_dir else "file"
        return f"ObjectRef({kind}: {self.path}, size={self.size})"

    def __str__(self) -> str:
        return self.path


class NpyRef:
    """A numpy array stored as a ``.npy`` file, fetched from an ``<npy@>`` attribute.

    ``shape``, ``dtype``, ``ndim``, ``size``, ``nbytes`` and ``len()`` come from the row
    without touching the store; ``load()`` (or any numpy use, through ``__array__``) reads the
    array, ``load(mmap_mode="r")`` memory-maps it (a local store's file directly; other stores
    through a local copy).
    """

    __slots__ = ("_backend", "_cached", "_meta", "_where")

    def __init__(self, metadata: dict[str, Any], backend: StorageBackend, where: Any = None):
        self._meta = metadata
        self._backend = backend
        self._cached: np.ndarray[Any, Any] | None = None
        self._where = where

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape (from the row)."""
        return tuple(self._meta["shape"])

    @property
    def dtype(self) -> np.dtype[Any]:
        """The array's dtype (from the row)."""
        dtype: np.dtype[Any] = np.dtype(self._meta["dtype"])
        return dtype

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return len(self._meta["shape"])

    @property
    def size(self) -> int:
        """The number of elements."""
        return math.prod(self._meta["shape"])

    @property
    def nbytes(self) -> int:
        """The array's size in bytes."""
        return self.size * self.dtype.itemsize

    @property
    def path(self) -> str:
        """The ``.npy`` file's path inside its store."""
        return str(self._meta["path"])

    @property
    def store(self) -> str | None:
        """The store's name."""
        return self._meta.get("store")

    @property
    def is_loaded(self) -> bool:
        """Whether the array has been read (and is kept)."""
        return self._cached is not None

    def load(self, mmap_mode: Any = None) -> np.ndarray[Any, Any]:
        """The array: read once and kept, or memory-mapped with ``mmap_mode`` (``"r"``,
        ``"r+"``, ``"c"``).

        Raises:
            MissingStoredObject: The file is not in its store (the table, attribute and path
                are named).
        """
        store = self._backend
        try:
            if mmap_mode is None:
                if self._cached is None:
                    self._cached = self._read(store)
                return self._cached
            if store.protocol == "file":
                return np.load(store._full_path(self.path), mmap_mode=mmap_mode)  # type: ignore[no-any-return]
            where = f"{getattr(store, 'name', '')}:{self.path}"
            name = hashlib.md5(where.encode()).hexdigest()[:16]
            local = Path(tempfile.gettempdir()) / "dj_sqla_mmap" / f"{name}.npy"
            if not local.exists():  # a local copy to map (written whole, then renamed)
                local.parent.mkdir(parents=True, exist_ok=True)
                partial = local.with_suffix(f".{os.getpid()}.partial")
                partial.write_bytes(store.get_buffer(self.path))
                os.replace(partial, local)
            return np.load(local, mmap_mode=mmap_mode)  # type: ignore[no-any-return]
        except (FileNotFoundError, MissingExternalFile):
            raise MissingStoredObject(
                _located("the stored array is missing", self._where, _named(store, self.path))
            ) from None

    def _read(self, store: StorageBackend) -> np.ndarray[Any, Any]:
        if store.protocol == "file":
            return np.load(store._full_path(self.path), allow_pickle=False)  # type: ignore[no-any-return]
        data = store.get_buffer(self.path)
        return np.load(io.BytesIO(data), allow_pickle=False)  # type: ignore[no-any-return]

    def _set_key(self, key: dict[str, Any]) -> None:
        if self._where is not None:
            self._where = (*self._where[:2], key)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray[Any, Any]:
        array = self.load()
        return array.astype(dtype) if dtype is not None else array

    def __getitem__(self, index: Any) -> Any:
        return self.load()[index]

    def __len__(self) -> int:
        if not self._meta["shape"]:
            raise TypeError("len() of a 0-dimensional array")
        return int(self._meta["shape"][0])

    def __repr__(self) -> str:
        state = "loaded" if self.is_loaded else "not loaded"
        return f"NpyRef(shape={self.shape}, dtype={self.dtype}, {state})"

    __str__ = __repr__
