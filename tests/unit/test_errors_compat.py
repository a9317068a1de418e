"""DataJoint's error class names and hierarchy, and where dj_sqla's own errors sit under them."""

from __future__ import annotations

import ast
import importlib.util
import inspect
from pathlib import Path

import pytest

from dj_sqla import errors

#: DataJoint's classes and parents (2.3 and 0.14 agree; PluginWarning is 0.14 only).
DATAJOINT_PARENTS = {
    "DataJointError": "Exception",
    "LostConnectionError": "DataJointError",
    "QueryError": "DataJointError",
    "QuerySyntaxError": "QueryError",
    "AccessError": "QueryError",
    "MissingTableError": "DataJointError",
    "DuplicateError": "QueryError",
    "IntegrityError": "QueryError",
    "UnknownAttributeError": "QueryError",
    "MissingAttributeError": "QueryError",
    "MissingExternalFile": "DataJointError",
    "BucketInaccessible": "DataJointError",
    "ThreadSafetyError": "DataJointError",
}


@pytest.mark.parametrize(("name", "parent"), sorted(DATAJOINT_PARENTS.items()))
def test_datajoint_names_with_datajoint_parents(name: str, parent: str) -> None:
    cls = getattr(errors, name)
    assert cls.__bases__ == (getattr(errors, parent, Exception),)


def test_the_installed_datajoint_has_no_error_class_missing_here() -> None:
    spec = importlib.util.find_spec("datajoint")
    if spec is None or spec.origin is None:
        pytest.skip("the datajoint package is not installed")
    # read the source instead of importing: importing datajoint reads its settings files
    tree = ast.parse((Path(spec.origin).parent / "errors.py").read_text())
    found = {
        node.name: [ast.unparse(base) for base in node.bases]
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    }
    for name, bases in found.items():
        assert hasattr(errors, name), name
        ours = [b.__name__ for b in getattr(errors, name).__bases__]
        assert ours == bases or name == "PluginWarning", (name, ours, bases)


def test_every_class_is_a_datajoint_error() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)]
    assert len(classes) >= 25
    assert all(issubclass(c, errors.DataJointError) for c in classes)


def test_dj_sqla_errors_are_caught_by_the_datajoint_class_pipelines_catch() -> None:
    assert issubclass(errors.TableNotDeclaredError, errors.MissingTableError)
    assert issubclass(errors.MissingParentError, errors.IntegrityError)
    assert issubclass(errors.SchemaDependencyError, errors.IntegrityError)
    assert issubclass(errors.DuplicateError, errors.QueryError)
    assert issubclass(errors.UnknownAttributeError, errors.QueryError)
    # as in DataJoint, a duplicate is not a foreign-key error and the reverse
    assert not issubclass(errors.DuplicateError, errors.IntegrityError)
    assert not issubclass(errors.MissingParentError, errors.DuplicateError)


def test_unknown_setting_error_is_key_and_attribute_error_and_prints_plainly() -> None:
    err = errors.UnknownSettingError("Unknown setting 'x'.")
    assert isinstance(err, KeyError)
    assert isinstance(err, AttributeError)
    assert isinstance(err, errors.ConfigError)
    assert str(err) == "Unknown setting 'x'."  # no quotes around it, unlike KeyError


def test_config_file_errors() -> None:
    missing = errors.ConfigFileMissingError("Settings file 'a.json' does not exist.")
    assert isinstance(missing, FileNotFoundError)
    assert isinstance(missing, errors.ConfigFileError)
    assert str(missing) == "Settings file 'a.json' does not exist."


def test_suggest_appends_arguments_and_keeps_the_class() -> None:
    err = errors.DuplicateError("Duplicate entry.").suggest("Use skip_duplicates=True.")
    assert type(err) is errors.DuplicateError
    assert err.args == ("Duplicate entry.", "Use skip_duplicates=True.")


def test_datajoint_014_feature_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(errors.FILEPATH_FEATURE_SWITCH, raising=False)
    monkeypatch.delenv(errors.ADAPTED_TYPE_SWITCH, raising=False)
    assert not errors._support_filepath_types()
    errors._switch_filepath_types(True)
    errors._switch_adapted_types(True)
    assert errors._support_filepath_types()
    assert errors._support_adapted_types()
    errors._switch_filepath_types(False)
    errors._switch_adapted_types(False)
    errors._switch_adapted_types(False)  # switching off twice is harmless
    assert not errors._support_filepath_types()
    assert not errors._support_adapted_types()
