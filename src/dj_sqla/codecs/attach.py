"""In-row file attachments in DataJoint's layout: the file name, a zero byte, the contents.

DataJoint (0.12 to 2.x) stores an ``attach``/``<attach>`` value as exactly those bytes, so
attachments written by either library read in the other. On the way back the file is written
into a download folder under its stored name; what happens when a file of that name is there
already follows DataJoint 2: the same contents are reused without writing, different contents
get the first free name ``stem_1.ext``, ``stem_2.ext``, ... (or the first of those that holds
the same contents). Unlike DataJoint, a stored name that would leave the folder (``../x``, an
absolute path) is refused.

Example:
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "notes.txt").write_bytes(b"hello")
    5
    >>> data = pack_attachment(folder / "notes.txt")
    >>> data
    b'notes.txt\\x00hello'
    >>> unpack_attachment(data, folder / "out").read_bytes()
    b'hello'
"""

from __future__ import annotations

import os
from pathlib import Path

from ._errors import AttachmentError

__all__ = ["attachment_name", "pack_attachment", "unpack_attachment"]


def pack_attachment(path: str | os.PathLike[str]) -> bytes:
    """Read a file into DataJoint's attachment layout (``name\\0contents``).

    Raises:
        AttachmentError: The path does not exist or is a folder.

    Example:
        >>> import pathlib, tempfile
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.bin"
        >>> _ = f.write_bytes(b"\\x01")
        >>> pack_attachment(f)
        b'a.bin\\x00\\x01'
    """
    file = Path(path)
    if file.is_dir():
        raise AttachmentError(
            f"Cannot attach {file}: it is a folder", hint="Attach a file, or an archive of it."
        )
    try:
        contents = file.read_bytes()
    except OSError as exc:
        raise AttachmentError(
            f"Cannot attach {file}: {exc.strerror or exc}",
            hint="Pass the path of a readable file.",
        ) from exc
    return file.name.encode() + b"\0" + contents


def attachment_name(data: bytes | bytearray | memoryview) -> str:
    """The file name stored in attachment bytes.

    Raises:
        AttachmentError: The bytes are not an attachment, or the name is not a plain file name.

    Example:
        >>> attachment_name(b"x.csv\\x00a,b")
        'x.csv'
    """
    raw = bytes(data[:4096]) if not isinstance(data, bytes) else data
    end = raw.find(b"\0")
    if end < 0:
        raise AttachmentError(
            "The bytes are not an attachment (no zero byte after a file name)",
            hint="Read the column as raw bytes if it does not hold attachments.",
        )
    try:
        name = raw[:end].decode()
    except UnicodeDecodeError as exc:
        raise AttachmentError("The attachment's file name is not UTF-8") from exc
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise AttachmentError(
            f"The attachment's file name {name!r} is not a plain file name",
            hint="It would be written outside the download folder; the row may be corrupt.",
        )
    return name


def unpack_attachment(
    data: bytes | bytearray | memoryview, download_path: str | os.PathLike[str] = "."
) -> Path:
    """Write attachment bytes as a file in ``download_path`` (created if missing).

    Args:
        data: What :func:`pack_attachment` or DataJoint stored.
        download_path: The folder to write into.

    Returns:
        The file's path: ``download_path / name``, or ``name_N.ext`` when a file with other
        contents has that name (DataJoint 2's rule).

    Raises:
        AttachmentError: The bytes are not an attachment, or the file cannot be written.
    """
    name = attachment_name(data)
    contents = memoryview(data)[len(name.encode()) + 1 :]
    folder = Path(download_path)
    target = folder / name
    stem, suffix = target.stem, target.suffix
    counter = 0
    try:
        folder.mkdir(parents=True, exist_ok=True)
        while target.exists():
            if target.is_file() and target.read_bytes() == contents:
                return target  # the same file is there already
            counter += 1
            target = folder / f"{stem}_{counter}{suffix}"
        target.write_bytes(contents)
    except OSError as exc:
        raise AttachmentError(
            f"Cannot write attachment {name!r} to {target}: {exc.strerror or exc}",
            hint="Point the download path at a writable folder.",
        ) from exc
    return target
