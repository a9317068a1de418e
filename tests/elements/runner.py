"""Run one scenario of a DataJoint Element (or of another published DataJoint package) on
dj_sqla in this process; print a one-line JSON result.

Usage: ``python runner.py SCENARIO`` with ``DJ_SQLA_URL`` (the database) and
``DATABASE_PREFIX`` (the schema-name prefix) in the environment, in a scratch working
directory. ``tests/integration/test_elements.py`` runs it once per scenario and backend.

The scenario first calls ``dj_sqla.install_as_datajoint()``, then imports the published
Element through its linking module (which activates its schemas, as a workflow's
``pipeline.py`` does), inserts sample rows, runs queries and the Element's own helper
functions, and populates. Whatever fails is reported with the stage it failed in and the
innermost line of Element (or linking-module) code on the traceback, so the first failure
names the DataJoint feature that is missing.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

from package_scenarios import SCENARIOS as PACKAGE_SCENARIOS
from scenario_support import current_stage, facts, stage
from scenarios import SCENARIOS

#: the top-level folders of the published packages' code, for naming where a failure happened
PACKAGE_FOLDERS = ("pharus", "link", "djmux")

RESULT_MARK = "ELEMENT-RESULT "


def _is_package(folder: str) -> bool:
    return folder.startswith("element_") or folder in PACKAGE_FOLDERS


def innermost_user_frame(err: BaseException) -> str | None:
    """``file:line`` of the innermost frame in Element or linking-module code."""
    here = Path(__file__).parent
    found = None
    for frame in traceback.extract_tb(err.__traceback__):
        path = Path(frame.filename)
        if any(_is_package(part) for part in path.parts) or path.parent == here:
            parts = path.parts
            start = next((i for i, p in enumerate(parts) if _is_package(p)), len(parts) - 1)
            found = f"{'/'.join(parts[start:])}:{frame.lineno} `{(frame.line or '').strip()}`"
    return found


def report(err: BaseException | None) -> None:
    """Print the result line: success with the facts, or the failure and where it happened."""
    if err is None:
        result: dict[str, object] = {"ok": True, "facts": facts}
    else:
        result = {
            "ok": False,
            "stage": current_stage(),
            "error": "".join(traceback.format_exception_only(type(err), err)).strip(),
            "where": innermost_user_frame(err),
            "traceback": "".join(traceback.format_exception(err)),
            "facts": facts,
        }
    print(RESULT_MARK + json.dumps(result))


def main(argv: list[str]) -> int:
    """Run the scenario named in ``argv[1]``; the outcome is the printed line (exit code 0)."""
    try:
        stage("installing dj_sqla as datajoint (dj_sqla.install_as_datajoint())")
        import dj_sqla

        dj_sqla.install_as_datajoint()
        dj_sqla.config["safemode"] = False
        {**SCENARIOS, **PACKAGE_SCENARIOS}[argv[1]]()
    except BaseException as err:
        report(err)
    else:
        report(None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
