"""dj.utils: name conversion as DataJoint does it, prompts, two-step file writes."""

from __future__ import annotations

import builtins
import importlib.util
import json
import subprocess
import sys
import warnings
from contextlib import nullcontext
from pathlib import Path

import pytest

from dj_sqla import utils
from dj_sqla.errors import DataJointError

CAMEL_NAMES = ["Mouse", "MouseCage", "EEGData", "Session2P", "A", "Probe3BInsertion", "X1Y2"]
INVALID_CLASS_NAMES = ["mouse", "2Mouse", "Mouse!", "Mouse Cage", "", "Mäuse", "_"]
TABLE_NAMES = [
    "mouse_cage",
    "__session_stats",
    "#lookup_name",
    "_probe__electrode",
    "session_2p",
    "my table-name",
    "ABC",
    "a__b",
    "2abc",
    "x_",
]
FULL_NAMES = [
    "`s`.`m__p`",
    "`s`.`__m__p`",
    "`s`.`#m__p`",
    '"s"."_m__p"',
    "`s`.`m`",
    "`s`.`a__b__c`",
    "`s`.`m__p",
]


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("Mouse", "mouse"),
        ("MouseCage", "mouse_cage"),
        ("EEGData", "e_e_g_data"),
        ("Session2P", "session2_p"),
        ("A", "a"),
    ],
)
def test_from_camel_case(name: str, table: str) -> None:
    assert utils.from_camel_case(name) == table


@pytest.mark.parametrize("name", INVALID_CLASS_NAMES)
def test_from_camel_case_refuses_names_that_are_not_camel_case(name: str) -> None:
    with (
        pytest.raises(DataJointError, match="is not CamelCase"),
        pytest.warns(UserWarning, match="underscores") if "_" in name else nullcontext(),
    ):
        utils.from_camel_case(name)


def test_from_camel_case_drops_underscores_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="contains underscores"):
        assert utils.from_camel_case("Mouse_Cage") == "mouse_cage"


@pytest.mark.parametrize(
    ("table", "name"),
    [
        ("mouse_cage", "MouseCage"),
        ("__session_stats", "SessionStats"),
        ("#lookup_name", "LookupName"),
        ("session_2p", "Session_2p"),
        ("my table-name", "MyTableName"),
        ("a__b", "AB"),
        ("2abc", "2abc"),
    ],
)
def test_to_camel_case(table: str, name: str) -> None:
    assert utils.to_camel_case(table) == name


def test_is_camel_case() -> None:
    assert all(utils.is_camel_case(name) for name in CAMEL_NAMES)
    assert not any(utils.is_camel_case(name) for name in INVALID_CLASS_NAMES)
    assert not utils.is_camel_case("Mouse\n")


_PARITY_SCRIPT = """
import json, sys, warnings
warnings.simplefilter("ignore")
from datajoint import utils
from datajoint.dependencies import extract_master  # 2.x's get_master
names, invalid, tables = json.loads(sys.argv[1])
def attempt(f, s):
    try:
        return f(s)
    except Exception as err:
        return type(err).__name__
print(json.dumps([
    [attempt(utils.from_camel_case, s) for s in names + invalid],
    [utils.to_camel_case(s) for s in tables],
    [extract_master(s) or "" for s in json.loads(sys.argv[2])],
]))
"""


def test_the_same_results_as_the_datajoint_package(tmp_path: Path) -> None:
    if importlib.util.find_spec("datajoint") is None:
        pytest.skip("the datajoint package is not installed")
    # in a subprocess: importing datajoint reads its settings files and sets up its logging
    args = json.dumps([CAMEL_NAMES, INVALID_CLASS_NAMES, TABLE_NAMES])
    result = subprocess.run(
        [sys.executable, "-c", _PARITY_SCRIPT, args, json.dumps(FULL_NAMES)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    from_camel, to_camel, masters = json.loads(result.stdout.strip().splitlines()[-1])

    def ours(name: str) -> str:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return utils.from_camel_case(name)
        except DataJointError:
            return "DataJointError"

    assert [ours(s) for s in CAMEL_NAMES + INVALID_CLASS_NAMES] == from_camel
    assert [utils.to_camel_case(s) for s in TABLE_NAMES] == to_camel
    assert [utils.get_master(s) for s in FULL_NAMES] == masters


def test_get_master() -> None:
    assert utils.get_master("`ephys`.`_probe__electrode`") == "`ephys`.`_probe`"
    assert utils.get_master("`lab`.`#rig__camera`") == "`lab`.`#rig`"
    assert utils.get_master('"lab"."__stats__unit"') == '"lab"."__stats"'
    assert utils.get_master("`lab`.`session`") == ""
    assert utils.get_master('`lab`.`session__part"') == ""  # mixed quotes
    assert utils.get_master("lab.session__part") == ""  # unquoted: not a full table name


# -- user_choice -------------------------------------------------------------------------------


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    given: list[str] = []

    def fake_input(prompt: str) -> str:
        if not given:
            raise EOFError  # what input() raises without a terminal
        return given.pop(0)

    monkeypatch.setattr(builtins, "input", fake_input)
    return given


def test_user_choice_asks_until_a_choice_is_typed(answers: list[str]) -> None:
    answers.extend(["perhaps", "", " No "])
    assert utils.user_choice("Drop the table?") == "no"
    assert not answers


def test_user_choice_default(answers: list[str]) -> None:
    answers.append("")
    assert utils.user_choice("Commit?", default="yes") == "yes"
    assert utils.user_choice("Commit?", choices=("a", "b"), default="b") == "b"  # no terminal


def test_user_choice_without_terminal_or_default_raises(answers: list[str]) -> None:
    with pytest.raises(EOFError):
        utils.user_choice("Proceed?")


def test_user_choice_refuses_a_default_not_among_the_choices() -> None:
    with pytest.raises(DataJointError, match="'maybe' is not one of"):
        utils.user_choice("Proceed?", default="maybe")


def test_user_choice_shows_the_default_capitalized(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(builtins, "input", lambda text: shown.append(text) or "yes")
    utils.user_choice("Delete 3 rows?", default="no")
    assert shown == ["Delete 3 rows? [yes, No]: "]


# -- files -------------------------------------------------------------------------------------


def test_safe_write_creates_folders_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "blob.dat"
    utils.safe_write(target, b"first")
    utils.safe_write(str(target), b"second")
    assert target.read_bytes() == b"first"
    assert sorted(p.name for p in target.parent.iterdir()) == ["blob.dat"]


def test_safe_write_leaves_no_temporary_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(self: Path, data: bytes) -> int:
        Path.write_text(self, "part")
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_bytes", fail)
    with pytest.raises(OSError, match="disk full"):
        utils.safe_write(tmp_path / "blob.dat", b"data")
    assert list(tmp_path.iterdir()) == []


def test_safe_copy(tmp_path: Path) -> None:
    src = tmp_path / "src.txt"
    src.write_text("one")
    dest = tmp_path / "out" / "dest.txt"
    utils.safe_copy(src, dest)
    assert dest.read_text() == "one"
    src.write_text("two")
    utils.safe_copy(src, dest)
    assert dest.read_text() == "one"  # exists: left alone
    utils.safe_copy(src, dest, overwrite=True)
    assert dest.read_text() == "two"
    utils.safe_copy(src, src, overwrite=True)  # the same file: nothing happens
    assert src.read_text() == "two"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["dest.txt"]


def test_parse_sql_with_delimiters_and_comments(tmp_path: Path) -> None:
    script = tmp_path / "setup.sql"
    script.write_text(
        "-- a comment\n"
        "CREATE TABLE t (\n"
        "  a int\n"
        ");\n"
        "delimiter //\n"
        "CREATE PROCEDURE p() BEGIN SELECT 1; END //\n"
        "delimiter ;\n"
        "SELECT 2;\n"
    )
    assert list(utils.parse_sql(script)) == [
        "CREATE TABLE t ( a int );",
        "CREATE PROCEDURE p() BEGIN SELECT 1; END //",
        "SELECT 2;",
    ]


def test_class_property() -> None:
    class Mouse:
        @utils.ClassProperty
        def table_name(cls) -> str:
            return utils.from_camel_case(cls.__name__)

    class MouseCage(Mouse):
        pass

    assert Mouse.table_name == "mouse"
    assert MouseCage().table_name == "mouse_cage"
