"""The files behind ``dj.config``: finding DataJoint 2's ``datajoint.json``, and writing
settings files and templates safely (whole or not at all; credentials readable by their
owner only).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ._config_keys import PROJECT_CONFIG, SECRETS_DIRNAME, SYSTEM_SECRETS_DIR


def write_settings(path: Path, data: dict[str, Any], *, secret: bool) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file replaced at once; a file
    holding credentials (``secret``) stays readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=4, default=str)
            out.write("\n")
        if not secret:
            os.chmod(temp, 0o644)  # mkstemp creates 0600; an ordinary settings file
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_template(target: Path, template: dict[str, Any], *, create_secrets_dir: bool) -> Path:
    """Write a ``datajoint.json`` template (the caller checks that none exists) and, beside it, a
    ``.secrets/`` folder with a ``.gitignore`` and placeholder credential files."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(template, indent=2, default=str) + "\n", encoding="utf-8")
    if create_secrets_dir:
        secrets = target.parent / SECRETS_DIRNAME
        secrets.mkdir(exist_ok=True)
        for name, text in (
            (".gitignore", "# never commit secrets\n*\n!.gitignore\n"),
            ("database.user", "your_username\n"),
            ("database.password", "your_password\n"),
        ):
            if not (secrets / name).exists():
                (secrets / name).write_text(text, encoding="utf-8")
    return target.resolve()


def find_project_config(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The ``datajoint.json`` that DataJoint 2.x would read, searching upward from ``start``.

    The search stops at the first folder holding ``.git`` or ``.hg`` (after looking in it)
    and at the file-system root.

    Example:
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> (root / ".git").mkdir(); _ = (root / "datajoint.json").write_text("{}")
        >>> (root / "src").mkdir()
        >>> find_project_config(root / "src") == root / "datajoint.json"
        True
    """
    folder = (Path.cwd() if start is None else Path(start)).resolve()
    while True:
        candidate = folder / PROJECT_CONFIG
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists() or (folder / ".hg").exists() or folder.parent == folder:
            return None
        folder = folder.parent


def find_config_file(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The ``datajoint.json`` found from ``start`` upward (DataJoint 2's name for
    :func:`find_project_config`).

    Example:
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp()); (root / ".git").mkdir()
        >>> find_config_file(root) is None
        True
    """
    return find_project_config(start)


def find_secrets_dir(config_path: str | os.PathLike[str] | None = None) -> Path | None:
    """The secrets folder read with ``config_path``: ``.secrets/`` beside it, else the system
    folder (``/run/secrets/datajoint``) if it exists, else None.

    Example:
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp()); (root / ".secrets").mkdir()
        >>> find_secrets_dir(root / "datajoint.json") == root / ".secrets"
        True
    """
    if config_path is not None and (Path(config_path).parent / SECRETS_DIRNAME).is_dir():
        return Path(config_path).parent / SECRETS_DIRNAME
    return SYSTEM_SECRETS_DIR if SYSTEM_SECRETS_DIR.is_dir() else None


def read_secret_file(folder: str | os.PathLike[str] | None, name: str) -> str | None:
    """The value in the secrets file ``name`` of ``folder`` (surrounding whitespace removed),
    or None when there is no such folder or file.

    Example:
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (root / "database.user").write_text("alice\\n")
        >>> read_secret_file(root, "database.user"), read_secret_file(None, "database.user")
        ('alice', None)
    """
    if folder is None or not (Path(folder) / name).is_file():
        return None
    return (Path(folder) / name).read_text(encoding="utf-8").strip()
