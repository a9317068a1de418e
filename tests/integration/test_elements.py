"""The published DataJoint Elements run unmodified on dj_sqla, on every backend.

Each test runs one scenario of ``tests/elements/runner.py`` in a **subprocess**: it calls
``dj_sqla.install_as_datajoint()``, imports the Element from site-packages through a linking
module of ``tests/elements`` (as a workflow's ``pipeline.py`` does), which activates its
schemas under this test's unique names on this test's database (``DJ_SQLA_URL``); then it
inserts sample rows, runs queries and the Element's own helper functions, and populates.

Why a subprocess per scenario and backend: an Element holds module-level ``schema =
dj.schema()`` objects and table classes that are activated once and then mapped by SQLAlchemy,
which cannot un-map them; ``install_as_datajoint()`` replaces ``datajoint`` in
``sys.modules`` for the whole process; and the Elements call ``dj.conn()`` and
``dj.create_virtual_module()`` without a connection, so the default connection must be the
backend under test. A fresh interpreter per run gives each backend the Elements as a user's
process sees them, keeps the real ``datajoint`` package (used by the interoperability tests)
untouched in this process, and lets one broken Element fail only its own test.

Afterwards this process checks, through its own connection, that every table class of each
Element module (listed from the module's source, without importing it) is a table of its
schema, and compares the facts the scenario fetched with the expected values. A failure
names the scenario's stage and the innermost line of Element code involved.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import dj_sqla as dj

ELEMENTS = Path(__file__).parents[1] / "elements"
RUNNER = ELEMENTS / "runner.py"
RESULT_MARK = "ELEMENT-RESULT "


def _load(path: Path) -> ModuleType:
    """Load a helper module of ``tests/elements`` under a private name (it imports no
    DataJoint code)."""
    spec = importlib.util.spec_from_file_location(f"_elements_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


schema_names = _load(ELEMENTS / "schema_names.py")

_TIER_PREFIX = {"Manual": "", "Lookup": "#", "Imported": "_", "Computed": "__"}

#: The tables of the test's own reference schema (``tests/elements/link_reference.py``).
_REFERENCE_TABLES = {"#skull_reference", "equipment", "anatomical_location"}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _base_tier(node: ast.ClassDef) -> str | None:
    for base in node.bases:
        if isinstance(base, ast.Attribute) and base.attr in (*_TIER_PREFIX, "Part"):
            return base.attr
    return None


def declared_tables(module_name: str) -> set[str]:
    """The table names of the ``@schema``-decorated classes in an Element module's source."""
    package, _, rest = module_name.partition(".")
    spec = importlib.util.find_spec(package)  # a top-level package: nothing is imported
    assert spec is not None, f"{package} is not installed"
    assert spec.submodule_search_locations, f"{package} is not a package"
    path = Path(next(iter(spec.submodule_search_locations)), *rest.split(".")).with_suffix(".py")
    # an Element's `"\d"` string (DeprecationWarning before 3.12) is not this test's concern
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        tree = ast.parse(path.read_text(encoding="utf-8"))
    tables: set[str] = set()
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or not node.decorator_list:
            continue
        tier = _base_tier(node)
        if tier not in _TIER_PREFIX:
            continue
        master = _TIER_PREFIX[tier] + _snake(node.name)
        tables.add(master)
        for inner in node.body:
            if isinstance(inner, ast.ClassDef) and _base_tier(inner) == "Part":
                tables.add(f"{master}__{_snake(inner.name)}")
    return tables


def run_scenario(
    scenario: str,
    db_url: str,
    schema_name: Callable[[str], str],
    tmp_path: Path,
) -> dict[str, Any]:
    """Run ``scenario`` in a subprocess; fail the test with its stage and error, else return
    the facts it reported. Every schema it creates is registered for dropping."""
    suffixes = [suffix for suffix, _ in schema_names.SCENARIOS.get(scenario, ())]
    names = {
        suffix: schema_name(suffix)
        for suffix in suffixes or schema_names.PACKAGE_SCENARIOS[scenario]
    }
    prefix = next(iter(names.items()))[1].removesuffix("_" + next(iter(names)))
    work = tmp_path / "work"
    work.mkdir()
    source_root = str(Path(dj.__file__).parents[1])  # the dj_sqla under test
    env = dict(
        os.environ,
        DJ_SQLA_URL=db_url,
        DATABASE_PREFIX=prefix,
        DJ_SAFEMODE="false",
        PYTHONPATH=os.pathsep.join(p for p in (source_root, os.environ.get("PYTHONPATH")) if p),
    )
    done = subprocess.run(
        [sys.executable, str(RUNNER), scenario],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if not lines:
        pytest.fail(
            f"the {scenario} scenario reported nothing (exit code {done.returncode}):\n"
            f"{done.stderr[-3000:]}",
            pytrace=False,
        )
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT_MARK) :])
    if not result["ok"]:
        pytest.fail(
            f"Element scenario `{scenario}` failed while {result['stage']}:\n"
            f"  {result['error']}\n"
            f"  at {result['where']}\n\n{result['traceback'][-4000:]}",
            pytrace=False,
        )
    return result["facts"]  # type: ignore[no-any-return]


def assert_declared(scenario: str, connection: dj.Connection, names: Callable[[str], str]) -> None:
    """Every table class of every Element module of the scenario is a table of its schema."""
    problems = []
    for suffix, module in schema_names.SCENARIOS[scenario]:
        expected = _REFERENCE_TABLES if module is None else declared_tables(module)
        schema = dj.Schema(
            names(suffix), connection=connection, create_schema=False, create_tables=False
        )
        present = set(schema.list_tables())
        if expected - present:
            problems.append(f"{module or 'reference'}: missing {sorted(expected - present)}")
    assert not problems, "; ".join(problems)


@pytest.fixture
def element(
    db_url: str, connection: dj.Connection, schema_name: Any, tmp_path: Path
) -> Callable[[str], dict[str, Any]]:
    """``element("lab")`` runs a scenario, checks its declarations and returns its facts."""

    def run(scenario: str) -> dict[str, Any]:
        facts = run_scenario(scenario, db_url, schema_name, tmp_path)
        assert_declared(scenario, connection, lambda suffix: f"{schema_name.prefix}_{suffix}")
        return facts

    return run


def test_element_lab(element: Callable[[str], dict[str, Any]]) -> None:
    facts = element("lab")
    assert facts["members"] == [["ann", "bob"], ["PI", None]]  # a nullable foreign key
    assert facts["project_end_date"] is None  # `project_end_date=NULL : date`
    assert facts["experiment_protocol"] is None  # `-> [nullable] Protocol`
    assert facts["lab_orgs"] == 1


def test_element_animal(element: Callable[[str], dict[str, Any]]) -> None:
    facts = element("animal")
    assert facts["father"] == "dad"  # `-> subject.Subject.proj(father="subject")`
    assert facts["surgeons"] == ["ann"]  # `-> User.proj(surgeon='user')`
    assert facts["coordinate"] == [1.5, -2.25, None, None]
    assert facts["subjects_with_line"] == 1


def test_element_session(element: Callable[[str], dict[str, Any]]) -> None:
    facts = element("session")
    assert facts["session_row"] == {
        "subject": "sub1",
        "session_datetime": "2026-03-04 12:30:15",
        "session_dir": "sub1/2026-03-04",
    }
    assert facts["attribute_blob"] == [0.0, 1.0, 2.0, 3.0, 4.0]  # a longblob holds numpy
    assert facts["experimenters"] == 1


def test_element_event(element: Callable[[str], dict[str, Any]]) -> None:
    facts = element("event")
    session = {"subject": "sub1", "session_datetime": "2026-03-04 12:30:15"}
    assert facts["alignment"] == [
        {"trial_key": {**session, "trial_id": n}, "start": None, "event": None, "end": None}
        for n in (1, 2)
    ]
    assert facts["trials"] == 3
    assert facts["csv_trial"] == ["go", 20.0]  # every CSV value arrives as a string
    assert facts["block_populate_errors"] == 1  # the Element's make raises
    assert "NotImplementedError" in facts["block_populate_message"]


def test_element_array_ephys(element: Callable[[str], dict[str, Any]]) -> None:
    facts = element("array_ephys")
    assert facts["probe_types"] == [
        "neuropixels 1.0 - 3A",
        "neuropixels 1.0 - 3B",
        "neuropixels 2.0 - MS",
        "neuropixels 2.0 - SS",
        "neuropixels UHD",
    ]
    assert facts["electrodes_3b"] == 960
    assert facts["paramsets"] == [0, 1]  # the second index from dj.U().aggr(max) + 1
    assert facts["params"] == {"fs": 30000, "Th": [9, 3]}
    assert facts["cutoffs"] == [0, 1, 2]
    assert facts["populate_result"] == {"success_count": 1, "error_list": []}
    assert facts["recording"] == ["SpikeGLX", 30000.0, "2026-03-04 12:30:15", 12.5]
    assert facts["config_electrodes"] == 4
    assert facts["ephys_files"] == ["sub1/probe_imec0/rec_g0_t0.imec0.ap.meta"]
    assert facts["clustering_errors"] == ["FileNotFoundError"]  # no kilosort output: the end
    assert facts["task_output_dir"] == "sub1/kilosort"  # update1
    assert facts["next_curation_id"] == 1  # dj.U().aggr(..., n="ifnull(max(...)+1,1)")


def test_element_optogenetics(element: Callable[[str], dict[str, Any]]) -> None:
    facts = element("optogenetics")
    assert facts["power"] == "10.50"  # decimal(6, 2) comes back exact
    assert facts["protocol_rows"] == 1


def test_element_calcium_imaging(element: Callable[[str], dict[str, Any]]) -> None:
    facts = element("calcium_imaging")
    assert facts["processing_keys"] == 1  # the Element's `key_source` property
    assert facts["activity_keys"] == 0
    assert facts["processing_errors"] == ["FileNotFoundError"]  # no suite2p output
    assert facts["acq_software"] == ["NIS", "PrairieView", "ScanImage", "Scanbox"]
    assert facts["scans"] == 1
    assert facts["paramset"] == "suite2p"


def test_element_electrode_localization(element: Callable[[str], dict[str, Any]]) -> None:
    facts = element("electrode_localization")
    assert facts["ccf_voxels"] == 8  # a DataFrame insert, float coordinates into int
    assert facts["visp_voxels"] == [100, 100, 100, 100]  # `-> master.BrainRegion`
    assert facts["regions"] == ["root", "v_i_sp"]
    assert facts["parent"] == "root"


def test_element_miniscope(element: Callable[[str], dict[str, Any]]) -> None:
    facts = element("miniscope")
    assert facts["acq_software"] == ["Miniscope-DAQ-V3", "Miniscope-DAQ-V4"]
    assert facts["recordings"] == 1
    assert facts["params"] == {"fr": 30, "decay_time": 0.4}


def test_element_facemap(element: Callable[[str], dict[str, Any]]) -> None:
    facts = element("facemap")
    assert facts["populate_result"] == {"success_count": 1, "error_list": []}
    assert facts["info"] == [24, 32, 15, 10]


def test_element_deeplabcut(element: Callable[[str], dict[str, Any]]) -> None:
    facts = element("deeplabcut")
    assert facts["populate_result"] == {"success_count": 1, "error_list": []}
    assert facts["info"] == [24, 32, 20, 10, 2.0]  # RecordingInfo's `key_source` property
    assert facts["body_parts"] == ["nose", "tail"]
    assert facts["paramset"] == [1, {"shuffle": 1, "trainingsetindex": 0, "maxiters": 5}]


def test_element_zstack(element: Callable[[str], dict[str, Any]]) -> None:
    facts = element("zstack")
    assert facts["populate_result"] == {"success_count": 1, "error_list": []}
    assert facts["volume"] == [5, 4, 3, "sub1/volume.tif"]
    assert facts["brightness"] == [9.5, 29.5, 49.5]  # a numpy array in a longblob
    assert facts["paramsets"] == [1]


# -- other published DataJoint packages (tests/elements/package_scenarios.py) -------------------


@pytest.fixture
def package(db_url: str, schema_name: Any, tmp_path: Path) -> Callable[[str], dict[str, Any]]:
    """``package("pharus")`` runs a package scenario and returns its facts."""
    return lambda scenario: run_scenario(scenario, db_url, schema_name, tmp_path)


def test_pharus(package: Callable[[str], dict[str, Any]], backend: str) -> None:
    """pharus, DataJoint's REST server, serves a pipeline through its Flask app."""
    facts = package("pharus")
    # pharus lists schemas with MySQL's information_schema and "..." string literals, which
    # SQLite lacks and PostgreSQL reads as identifiers: only MySQL answers /schema
    assert facts["schema_list"] is (backend == "mysql")
    assert facts["tables"] == {
        "computed": ["Double"],
        "imported": [],
        "lookup": ["Color"],
        "manual": ["Animal", "Tag"],
        "part": ["Tag.Note"],
    }
    day = 24 * 60 * 60
    assert facts["records"] == [
        [1, "mouse", 20455 * day, 3.5, "=BLOB="],  # dates as epoch seconds, blobs hidden
        [2, "rat", None, None, "=BLOB="],
    ]
    assert facts["heavy"] == [1]
    assert facts["attributes"] == [
        ["animal_id", "int", False, None],
        ["species", "varchar(20)", False, None],
        ["born", "date", True, "null"],
        ["weight", "float", True, "null"],
        ["notes", "<blob>", True, "null"],  # 0.14's longblob is a serialized blob
    ]
    assert facts["definition"] == "-> master\nn : int\n---\n"
    assert facts["dependency"] == [["__double", 1], ["animal", 1], ["tag", 1], ["tag__note", 0]]
    status, child = facts["refused_delete"]
    assert (status, child in ("Double", "Tag")) == (409, True)  # children holding rows of it
    assert facts["left"] == [[2], ["hamster"]]
    assert facts["tags"] == 0


def test_datajoint_link(package: Callable[[str], dict[str, Any]]) -> None:
    """datajoint-link copies rows (with their parts) from a source table and tracks them."""
    facts = package("datajoint_link")
    assert facts["source_rows"] == 3
    assert facts["local"] == [[1, 2], ["mouse", "rat"], ["", ""]]
    assert facts["local_parts"] == 4
    assert facts["flagged"] == [{"animal_id": 1}]
    assert facts["after_delete"] == [2]
    assert facts["outbound"] == ["TRUE", "TRUE"]


def test_djmux(package: Callable[[str], dict[str, Any]], schema_name: Any) -> None:
    """djmux activates a deferred table-set package under the prefix its config file gives."""
    facts = package("djmux")
    assert facts["schema"] == schema_name("djmux__core")
    assert facts["runs"] == [{"rig": "r2", "run_id": 7}]
    assert facts["tables"] == ["#rig", "run"]
    assert facts["eager"] == [schema_name("djmux__extra"), 1]


def test_pose_pipeline(package: Callable[[str], dict[str, Any]]) -> None:
    """pose-pipeline declares its 50 tables; a video attachment populates VideoInfo."""
    facts = package("pose_pipeline")
    assert facts["populate_result"] == {"success_count": 1, "error_list": []}
    assert facts["info"] == [10.0, 6, 32, 24]
    assert facts["tables"] == len(declared_tables("pose_pipeline.pipeline"))
