"""The README's Python blocks run as written, in order, on every backend.

All the blocks run in one fresh interpreter per backend, in one namespace, as a reader who
pastes them one after the other would run them; ``DJ_SQLA_URL`` points ``dj.conn()`` at the
backend under test. The few names the README imports from a reader's own project
(``my_pipeline``, ``my_app.db``, the linking module ``myproj.pipeline``) are small modules
written next to the script. A failure names the README line of the block and shows its
traceback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import dj_sqla as dj

README = Path(__file__).parents[2] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
#: The schemas the README creates, children first.
SCHEMAS = ("myproj_subject", "myproj_lab", "alice_experiment", "alice_lab")

PROJECT = {
    "my_pipeline.py": (
        "import dj_sqla as dj\nschema = dj.schema('alice_experiment', create_tables=False)\n"
    ),
    "my_app/__init__.py": "",
    "my_app/db.py": (
        "import sqlalchemy as sa\n"
        "from sqlalchemy.orm import DeclarativeBase\n\n\n"
        "class Base(DeclarativeBase):\n"
        "    pass\n\n\n"
        "engine = sa.create_engine('sqlite://')\n"
    ),
    "myproj/__init__.py": "",
    # a linking module, as the DataJoint Elements' documentation describes one
    "myproj/pipeline.py": "from element_lab.lab import Lab, Protocol, Source, User  # noqa\n",
}

RUNNER = """
import json, sys, traceback
namespace = {"__name__": "__main__"}
for line, code in json.load(open(sys.argv[1])):
    try:
        exec(compile(code, f"README.md:{line}", "exec"), namespace)
    except BaseException:
        print(f"The README block at line {line} failed:", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
print("all", len(json.load(open(sys.argv[1]))), "blocks ran")
"""


def readme_blocks() -> list[tuple[int, str]]:
    """(line of the block's first code line, code) for every Python block, in order."""
    text = README.read_text()
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in BLOCK.finditer(text)]


def drop_readme_schemas(connection: dj.Connection) -> None:
    backend = connection.backend
    with connection.engine.connect() as conn:
        existing = set(backend.list_schemas(conn))
        for name in SCHEMAS:
            if name in existing:
                backend.drop_schema(conn, name)
        conn.commit()


@pytest.fixture
def clean(connection: dj.Connection) -> Iterator[None]:
    drop_readme_schemas(connection)
    yield
    drop_readme_schemas(connection)


def test_the_readme_has_blocks_to_run() -> None:
    blocks = readme_blocks()
    assert len(blocks) >= 10
    assert all(code.strip() for _, code in blocks)


@pytest.mark.usefixtures("clean")
def test_every_readme_block_runs_in_order(db_url: str, tmp_path: Path) -> None:
    for name, text in PROJECT.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    script = tmp_path / "run_readme.py"
    script.write_text(RUNNER)
    blocks = tmp_path / "blocks.json"
    blocks.write_text(json.dumps(readme_blocks()))
    env = dict(
        os.environ,
        DJ_SQLA_URL=db_url,
        DJ_SAFEMODE="false",  # the README's delete() asks first; nobody answers here
        PYTHONPATH=str(tmp_path),
    )
    env.pop("DJ_BACKEND", None)
    done = subprocess.run(
        [sys.executable, str(script), str(blocks)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert f"all {len(readme_blocks())} blocks ran" in done.stdout
