"""``dj.utils``: the helper functions DataJoint pipelines import from ``datajoint.utils``.

Name conversion between class names and table names (:func:`from_camel_case`,
:func:`to_camel_case`, :func:`get_master`), a terminal prompt (:func:`user_choice`), files
written or copied in two steps so a crash never leaves a half-written file under the final name
(:func:`safe_write`, :func:`safe_copy`), and the smaller helpers of DataJoint 0.14
(:class:`ClassProperty`, :func:`parse_sql`). Behaviour follows DataJoint 2.x where the two
versions differ (a class name with underscores is accepted with a warning).

Example:
    >>> from_camel_case("MouseSession"), to_camel_case("mouse_session")
    ('mouse_session', 'MouseSession')
"""

from __future__ import annotations

import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

from .errors import DataJointError

_R = TypeVar("_R")

_CAMEL = re.compile(r"[A-Z][A-Za-z0-9]*\Z")
# a run of separators (underscore or any non-word character, or the start) before a letter
_WORD_START = re.compile(r"(?:^|[_\W])+(?P<letter>[a-zA-Z])")
_PART_NAME = re.compile(r"(?P<master>(?P<q>[`\"])\w+(?P=q)\.(?P=q)#?\w+)__\w+(?P=q)\Z")


class ClassProperty(Generic[_R]):
    """A read-only property computed from the class (DataJoint 0.14's ``ClassProperty``).

    Example:
        >>> class Mouse:
        ...     @ClassProperty
        ...     def table_name(cls):
        ...         return from_camel_case(cls.__name__)
        >>> Mouse.table_name
        'mouse'
    """

    def __init__(self, fget: Callable[[Any], _R]) -> None:
        self.fget = fget
        self.__doc__ = fget.__doc__

    def __get__(self, instance: object, owner: type) -> _R:
        return self.fget(owner)


def user_choice(
    prompt: str, choices: Iterable[str] = ("yes", "no"), default: str | None = None
) -> str:
    """Ask on the terminal until one of ``choices`` is typed; returns that choice.

    The default, if any, is shown capitalized and is what an empty answer means. Answers are
    compared ignoring letter case and surrounding spaces. Without a terminal (end of input)
    the default is returned, or ``EOFError`` raised if there is none.

    Raises:
        DataJointError: ``default`` is not one of ``choices``.

    Example:
        >>> import builtins
        >>> answers = iter(["maybe", " YES "])
        >>> builtins.input, saved = (lambda text: next(answers)), builtins.input
        >>> user_choice("Delete 3 rows?")
        'yes'
        >>> builtins.input = saved
    """
    options = list(choices)
    if default is not None and default not in options:
        raise DataJointError(f"user_choice: default {default!r} is not one of {options}.")
    shown = ", ".join(option.title() if option == default else option for option in options)
    by_answer = {option.lower(): option for option in options}
    while True:
        try:
            answer = input(f"{prompt} [{shown}]: ").strip().lower()
        except EOFError:
            if default is None:
                raise
            return default
        if not answer and default is not None:
            return default
        if answer in by_answer:
            return by_answer[answer]


def confirm(question: str) -> bool:
    """Ask ``question`` (the safemode prompts of ``delete`` and ``drop``); anything but "yes"
    (or no terminal at all) means no. It reads with this module's ``input``, as DataJoint's
    prompts do, so a test can answer by patching ``dj.utils.input``."""
    try:
        answer = input(f"{question} [yes/No]: ")
    except EOFError:
        return False
    return answer.strip().lower() in ("yes", "y")


def is_camel_case(name: str) -> bool:
    """Whether ``name`` is a capital letter followed by letters and digits only.

    Example:
        >>> is_camel_case("Mouse2P"), is_camel_case("mouse"), is_camel_case("Mouse_Cage")
        (True, False, False)
    """
    return _CAMEL.match(name) is not None


def to_camel_case(name: str) -> str:
    """The class name for a table name: ``mouse_cage`` becomes ``MouseCage``.

    As in DataJoint, each letter that starts the string or follows underscores or other
    non-word characters is capitalized and the separators before it are dropped; other
    characters stay as they are (``session_2p`` becomes ``Session_2p``: no letter follows).

    Example:
        >>> to_camel_case("__session_stats"), to_camel_case("my table-name")
        ('SessionStats', 'MyTableName')
    """
    return _WORD_START.sub(lambda match: match["letter"].upper(), name)


def from_camel_case(name: str) -> str:
    """The table name for a class name: ``MouseCage`` becomes ``mouse_cage``.

    Every capital letter after the first starts a new word (``EEGData`` becomes
    ``e_e_g_data``), as in DataJoint. Underscores are removed with a ``UserWarning``
    (DataJoint 2.x; 0.14 kept them).

    Raises:
        DataJointError: the name (without underscores) is not CamelCase.

    Example:
        >>> from_camel_case("SessionStats2P")
        'session_stats2_p'
    """
    if "_" in name:
        warnings.warn(
            f"Class name {name!r} contains underscores; they are dropped from its table name. "
            f"Use a CamelCase name without underscores.",
            UserWarning,
            stacklevel=2,
        )
        name = name.replace("_", "")
    if not is_camel_case(name):
        raise DataJointError(
            f"Class name {name!r} is not CamelCase: it must start with a capital letter and hold "
            f"only letters and digits (e.g. 'MouseSession'); rename the class."
        )
    return name[0].lower() + "".join(f"_{c.lower()}" if c.isupper() else c for c in name[1:])


def get_master(full_table_name: str) -> str:
    """The full name of a part table's master, or ``""`` if the name is not a part table's.

    A part table is named after its master plus ``__`` and the part's name, in the same
    schema; names may be quoted with backticks (MySQL) or double quotes (PostgreSQL), and the
    master keeps the quoting.

    Example:
        >>> get_master("`ephys`.`_probe__electrode`")
        '`ephys`.`_probe`'
        >>> get_master('"lab"."#rig__camera"'), get_master("`lab`.`session`")
        ('"lab"."#rig"', '')
    """
    match = _PART_NAME.match(full_table_name)
    return match["master"] + match["q"] if match else ""


def _write_then_rename(target: Path, suffix: str, write: Callable[[Path], object]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(target.name + suffix)
    try:
        write(temp)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def safe_write(filepath: str | os.PathLike[str], blob: bytes) -> None:
    """Write ``blob`` to ``filepath`` in two steps; a file already there is left alone.

    The bytes go to ``<name>.saving`` first, which is then renamed, so readers never see a
    partly written file. Missing parent folders are created.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "a" / "blob.bin"
        >>> safe_write(path, b"123"); safe_write(path, b"456")
        >>> path.read_bytes()
        b'123'
    """
    target = Path(filepath)
    if not target.is_file():
        _write_then_rename(target, ".saving", lambda temp: temp.write_bytes(blob))


def safe_copy(
    src: str | os.PathLike[str], dest: str | os.PathLike[str], overwrite: bool = False
) -> None:
    """Copy ``src`` to ``dest`` in two steps (through ``<name>.copying``).

    Nothing happens when ``dest`` is ``src`` itself, or when ``dest`` exists and
    ``overwrite`` is false. Missing parent folders are created.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.txt").write_text("data")
        >>> safe_copy(folder / "a.txt", folder / "copy" / "a.txt")
        >>> (folder / "copy" / "a.txt").read_text()
        'data'
    """
    source, target = Path(src), Path(dest)
    if target.exists() and source.samefile(target):
        return
    if overwrite or not target.is_file():
        _write_then_rename(target, ".copying", lambda temp: shutil.copyfile(source, temp))


def parse_sql(filepath: str | os.PathLike[str]) -> Iterator[str]:
    """The statements of an SQL script, one string each (DataJoint 0.14's ``parse_sql``).

    Lines are stripped; ``--`` comments and lines of one character or less are skipped; a
    ``delimiter X`` line changes the statement terminator (as in MySQL scripts).

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "setup.sql"
        >>> _ = path.write_text("-- users\\nCREATE TABLE t (\\n  a int);\\nSELECT 1;\\n")
        >>> list(parse_sql(path))
        ['CREATE TABLE t ( a int);', 'SELECT 1;']
    """
    delimiter = ";"
    statement: list[str] = []
    with Path(filepath).open(encoding="utf-8") as lines:
        for raw in lines:
            line = raw.strip()
            if line.startswith("--") or len(line) <= 1:
                continue
            if line.startswith("delimiter"):
                delimiter = line.split()[1]
                continue
            statement.append(line)
            if line.endswith(delimiter):
                yield " ".join(statement)
                statement = []
