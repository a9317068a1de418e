"""One object store on fsspec: paths inside it, reading and writing, and errors that name it.

:class:`StorageBackend` is DataJoint 2.3's class of that name: it takes a store's settings
(see :mod:`dj_sqla._config_stores`), makes the fsspec filesystem on first use, and maps store
paths (``_hash/lab/...``) to filesystem paths (``{location}/...`` for ``file``,
``{bucket}/{location}/...`` for ``s3``). Writes to a local store go to a temporary name first
and are renamed into place, so a killed writer never leaves a partial object under its name.
A store that cannot be reached (a missing bucket, wrong or missing credentials, a server that
does not answer) raises :class:`~dj_sqla.errors.BucketInaccessible` naming the store.

Example:
    >>> import tempfile
    >>> store = StorageBackend({"protocol": "file", "location": tempfile.mkdtemp()})
    >>> store.put_buffer(b"abc", "x/y.bin")
    >>> store.get_buffer("x/y.bin"), store.exists("x/y.bin"), store.size("x/y.bin")
    (b'abc', True, 3)
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, TypeVar

import fsspec

from .._config_stores import COMMON_KEYS
from ..errors import BucketInaccessible, ConfigError, DataJointError, MissingExternalFile
from .adapter import get_storage_adapter

logger = logging.getLogger(__name__)
_T = TypeVar("_T")


class StorageBackend:
    """A store: its settings, its fsspec filesystem and the operations DataJoint uses.

    Args:
        spec: The store's settings, as :meth:`dj.config.get_store_spec` returns them.
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.protocol: str = str(spec.get("protocol", "file"))
        self.name: str = str(spec.get("_name") or "?")
        self._fs: fsspec.AbstractFileSystem | None = None
        if self.protocol == "file":
            location = spec.get("location")
            if location and not Path(location).is_dir():
                raise ConfigError(
                    f"Store {self.name!r}: its location {location} is not a folder; create it "
                    f'or correct dj.config["stores"]["{self.name}"]["location"].'
                )

    def __repr__(self) -> str:
        return f"StorageBackend({self.name!r}, {self.get_url('')!r})"

    @property
    def fs(self) -> fsspec.AbstractFileSystem:
        """The fsspec filesystem, made on first use."""
        if self._fs is None:
            self._fs = self._guarded(self._create_filesystem, "")
        return self._fs

    def _create_filesystem(self) -> fsspec.AbstractFileSystem:
        spec = self.spec
        if self.protocol == "file":
            return fsspec.filesystem("file", auto_mkdir=True)
        if self.protocol == "s3":
            endpoint = str(spec["endpoint"])
            if not endpoint.startswith(("http://", "https://")):
                endpoint = f"{'https' if spec.get('secure', True) else 'http'}://{endpoint}"
            client: dict[str, Any] = {"endpoint_url": endpoint}
            if spec.get("proxy_server"):
                client["config"] = _botocore_proxy(str(spec["proxy_server"]))
            return _filesystem(
                "s3",
                self.name,
                key=spec.get("access_key") or None,
                secret=spec.get("secret_key") or None,
                client_kwargs=client,
                use_listings_cache=False,
            )
        if self.protocol == "gcs":
            return _filesystem(
                "gcs", self.name, token=spec.get("token"), project=spec.get("project")
            )
        if self.protocol == "azure":
            keys = ("account_name", "account_key", "connection_string")
            return _filesystem("abfs", self.name, **{k: spec.get(k) for k in keys})
        adapter = get_storage_adapter(self.protocol)
        if adapter is not None:
            return adapter.create_filesystem(_public(spec))
        options = {k: v for k, v in _public(spec).items() if k not in _LAYOUT_KEYS}
        return _filesystem(self.protocol, self.name, **options)

    # -- paths ---------------------------------------------------------------------------------

    def _full_path(self, path: str | os.PathLike[str]) -> str:
        """The filesystem path of a store path."""
        path = str(path).lstrip("/") if self.protocol != "file" else str(path)
        location = str(self.spec.get("location") or "").strip()
        if self.protocol == "file":
            return (Path(location) / path).as_posix() if location else path
        if self.protocol in ("s3", "gcs", "azure"):
            bucket = self.spec.get("bucket") or self.spec.get("container")
            location = location.strip("/")
            return "/".join(p for p in (bucket, location, path) if p)
        adapter = get_storage_adapter(self.protocol)
        if adapter is not None:
            return adapter.full_path(self.spec, path)
        return "/".join(p for p in (location.rstrip("/"), path) if p)

    def get_url(self, path: str | os.PathLike[str]) -> str:
        """A URL of the object (``file:///...``, ``s3://bucket/...``)."""
        full = self._full_path(path)
        if self.protocol == "file":
            return Path(full).resolve().as_uri() if full else "file:///"
        scheme = {"gcs": "gs", "azure": "az"}.get(self.protocol, self.protocol)
        return f"{scheme}://{full}"

    def describe(self, path: str) -> str:
        """``path`` named for a message: its store, and where that is."""
        return f"{path} in store {self.name!r} ({self.get_url('')})"

    # -- operations ----------------------------------------------------------------------------

    def put_buffer(self, buffer: bytes | bytearray | memoryview, path: str) -> None:
        """Write ``buffer`` as the object at ``path`` (replacing it)."""
        full = self._full_path(path)
        if self.protocol == "file":
            with _atomic_file(full) as out:
                out.write(buffer)
            return
        self._guarded(lambda: self.fs.pipe_file(full, bytes(buffer)), path)

    def put_file(self, local_path: str | os.PathLike[str], path: str) -> None:
        """Copy a local file to ``path``."""
        full = self._full_path(path)
        if self.protocol == "file":
            with _atomic_file(full) as out, open(local_path, "rb") as source:
                shutil.copyfileobj(source, out, 1 << 22)
            return
        self._guarded(lambda: self.fs.put_file(str(local_path), full), path)

    def write_with(self, path: str, write: Callable[[IO[bytes]], None]) -> None:
        """Write the object at ``path`` by calling ``write`` with an open binary file."""
        full = self._full_path(path)
        if self.protocol == "file":
            with _atomic_file(full) as out:
                write(out)
            return

        def run() -> None:
            with self.fs.open(full, "wb") as out:
                write(out)

        self._guarded(run, path)

    def get_buffer(self, path: str) -> bytes:
        """The contents of the object at ``path``.

        Raises:
            MissingExternalFile: There is no such object.
        """
        full = self._full_path(path)
        if self.protocol == "file":
            try:
                return Path(full).read_bytes()
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                raise MissingExternalFile(f"Missing object {self.describe(path)}") from None
        return self._guarded(lambda: bytes(self.fs.cat_file(full)), path)

    def get_file(self, path: str, local_path: str | os.PathLike[str]) -> None:
        """Copy the object at ``path`` to a local file."""
        target = Path(local_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        full = self._full_path(path)
        if self.protocol == "file":
            try:
                with _atomic_file(str(target)) as out, open(full, "rb") as source:
                    shutil.copyfileobj(source, out, 1 << 22)
            except FileNotFoundError:
                raise MissingExternalFile(f"Missing object {self.describe(path)}") from None
            return
        self._guarded(lambda: self.fs.get_file(full, str(target)), path)

    def open(self, path: str, mode: str = "rb") -> IO[Any]:
        """The object at ``path`` as an open file."""
        full = self._full_path(path)
        if self.protocol == "file" and "w" in mode:
            Path(full).parent.mkdir(parents=True, exist_ok=True)
        opened: IO[Any] = self._guarded(lambda: self.fs.open(full, mode), path)
        return opened

    def exists(self, path: str) -> bool:
        """Whether an object (or folder) is at ``path``."""
        full = self._full_path(path)
        if self.protocol == "file":
            return os.path.exists(full)
        return bool(self._guarded(lambda: self.fs.exists(full), path))

    def isdir(self, path: str) -> bool:
        """Whether ``path`` is a folder (a key prefix on object stores)."""
        full = self._full_path(path)
        return bool(self._guarded(lambda: self.fs.isdir(full), path))

    def size(self, path: str) -> int:
        """The size in bytes of the object at ``path``."""
        full = self._full_path(path)
        if self.protocol == "file":
            return os.path.getsize(full)
        return int(self._guarded(lambda: self.fs.size(full), path))

    def remove(self, path: str) -> None:
        """Remove the object at ``path`` (nothing happens if it is gone)."""
        full = self._full_path(path)
        if self.protocol == "file":
            Path(full).unlink(missing_ok=True)
            return
        with suppress(MissingExternalFile):  # gone already
            self._guarded(lambda: self.fs.rm(full), path)

    def prune(self, path: str) -> None:
        """Remove the folders above ``path`` that are empty now (a local store; object stores
        have no folders), up to the store's location."""
        if self.protocol != "file":
            return
        root = Path(self._full_path("")).resolve()
        folder = Path(self._full_path(path)).resolve().parent
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty, or gone
                return
            folder = folder.parent

    def put_folder(self, local_path: str | os.PathLike[str], path: str) -> dict[str, Any]:
        """Copy a local folder to ``path`` and write its manifest beside it (DataJoint's
        ``{path}.manifest.json``); returns the manifest."""
        source = Path(local_path)
        if not source.is_dir():
            raise DataJointError(f"Not a folder: {source}")
        files = sorted(p for p in source.rglob("*") if p.is_file())
        listing: list[dict[str, Any]] = [
            {"path": f.relative_to(source).as_posix(), "size": f.stat().st_size} for f in files
        ]
        for file, item in zip(files, listing, strict=True):
            self.put_file(file, f"{path}/{item['path']}")
        manifest = {
            "files": listing,
            "total_size": sum(int(item["size"]) for item in listing),
            "item_count": len(listing),
            "created": datetime.now(timezone.utc).isoformat(),
        }
        self.put_buffer(json.dumps(manifest, indent=2).encode(), f"{path}.manifest.json")
        return manifest

    def remove_folder(self, path: str) -> None:
        """Remove a folder object and its manifest."""
        full = self._full_path(path)
        if self.protocol == "file":
            shutil.rmtree(full, ignore_errors=True)
        else:
            with suppress(MissingExternalFile):
                self._guarded(lambda: self.fs.rm(full, recursive=True), path)
        self.remove(f"{path}.manifest.json")

    def get_fsmap(self, path: str) -> fsspec.FSMap:
        """A mapping view of the folder at ``path`` (``zarr.open(store.get_fsmap(p))``)."""
        return fsspec.FSMap(self._full_path(path), self.fs)

    def check_access(self) -> None:
        """Reach the store once: the folder, or the bucket with the credentials.

        Raises:
            BucketInaccessible: The store cannot be reached or used.
        """
        if self.protocol == "file":
            return
        root = self._full_path("")
        bucket = root.split("/", 1)[0]
        found = self._guarded(lambda: self.fs.exists(bucket) or self.fs.ls(bucket), "")
        if not found:
            raise self._inaccessible(FileNotFoundError(bucket))

    def _guarded(self, work: Callable[[], _T], path: str) -> _T:
        """Run a filesystem call; what it raises becomes an error that names the store."""
        try:
            return work()
        except FileNotFoundError as err:
            if self.protocol != "file" and "bucket" in str(err).lower():
                raise self._inaccessible(err) from err
            raise MissingExternalFile(f"Missing object {self.describe(path)}") from err
        except (DataJointError, IsADirectoryError, NotADirectoryError):
            raise
        except ImportError as err:
            raise ConfigError(
                f"Store {self.name!r} uses protocol {self.protocol!r}, whose fsspec package is "
                f"not installed ({err}); for s3 install dj_sqla[s3] (s3fs)."
            ) from err
        except Exception as err:
            raise self._inaccessible(err) from err

    def _inaccessible(self, err: BaseException) -> BucketInaccessible:
        where = self.get_url("")
        return BucketInaccessible(
            f"Store {self.name!r} ({where}) cannot be used: {type(err).__name__}: {err}. Check "
            f'that it runs and that dj.config["stores"]["{self.name}"] has the right endpoint, '
            "bucket and credentials; nothing was written to the database."
        )


#: Settings that describe the store's layout, not options of its filesystem.
_LAYOUT_KEYS = COMMON_KEYS


def _public(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if not k.startswith("_")}


def _filesystem(protocol: str, store: str, **options: Any) -> fsspec.AbstractFileSystem:
    try:
        return fsspec.filesystem(protocol, **options)
    except ValueError as err:  # fsspec knows no such protocol
        raise ConfigError(f"Store {store!r}: {err}; use an fsspec protocol.") from err


def _botocore_proxy(proxy: str) -> Any:
    from botocore.config import Config  # optional extra (s3): only with a proxy

    return Config(proxies={"http": proxy, "https": proxy})


#: How often a write makes its folder again when a concurrent delete removed it meanwhile
#: (``StorageBackend.prune`` removes folders that are empty, as a new one is for an instant).
_FOLDER_ATTEMPTS = 20


@contextmanager
def _atomic_file(target: str) -> Iterator[IO[bytes]]:
    """A file written under a temporary name in the target's folder, renamed into place only
    when the block finishes: a killed writer leaves no partial file under the real name."""
    folder = os.path.dirname(target) or "."
    for attempt in range(_FOLDER_ATTEMPTS):
        try:
            os.makedirs(folder, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=folder, prefix=".dj-", suffix=".partial")
            break
        # a concurrent delete pruned a folder of the path while it was empty (makedirs says
        # FileExistsError when it saw the folder, then found it gone)
        except (FileNotFoundError, FileExistsError):
            if attempt == _FOLDER_ATTEMPTS - 1:
                raise
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def get_storage_backend(spec: dict[str, Any]) -> StorageBackend:
    """A :class:`StorageBackend` for a store's settings (DataJoint's factory name)."""
    return StorageBackend(spec)
