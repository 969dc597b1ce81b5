"""``critmin --help`` (and every command's ``--help``) loads only the CLI and typer.

Command modules import pandas, the store, the model and the web stack inside their
commands, so asking for help never pays for them. This checks which modules are loaded,
which does not depend on how busy the machine is; how long ``critmin --help`` takes is
measured by ``benchmarks/bench_kb.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys

#: Libraries and critmin layers that a --help must not load (pydantic is not among them: typer
#: itself loads it to render help).
HEAVY = ("pandas", "numpy", "pyarrow", "duckdb", "scipy", "numba", "matplotlib", "fastapi", "starlette", "sqlalchemy",
         "alembic", "uvicorn", "dask", "distributed", "yaml", "pycountry", "openpyxl", "python_calamine",
         "critmin.api", "critmin.kb", "critmin.store", "critmin.analysis", "critmin.model", "critmin.web",
         "critmin.report", "critmin.sources", "critmin.exposure", "critmin.live", "critmin.snapshot")

PROBE = r"""
import json, sys
from typer.testing import CliRunner
from critmin.cli import app

runner = CliRunner()
helps = [[], ["data"], ["tracker"], ["keys"]]
import typer.main
group = typer.main.get_group(app)
for name, cmd in group.commands.items():
    helps.append([name])
    for sub in getattr(cmd, "commands", {}) or {}:
        helps.append([name, sub])
codes = {" ".join(h) or "critmin": runner.invoke(app, [*h, "--help"]).exit_code for h in helps}
print(json.dumps({"codes": codes, "modules": sorted(sys.modules)}))
"""


def test_help_of_every_command_loads_nothing_heavy():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert all(code == 0 for code in result["codes"].values()), result["codes"]
    assert len(result["codes"]) >= 30  # every command and sub-command was asked
    loaded = [m for m in result["modules"] if m.split(".")[0] in {h.split(".")[0] for h in HEAVY if "." not in h}
              or any(m == h or m.startswith(h + ".") for h in HEAVY if "." in h)]
    assert loaded == [], loaded


def test_the_console_script_is_the_package():
    from importlib.metadata import entry_points

    scripts = {e.name: e.value for e in entry_points(group="console_scripts")}
    assert scripts.get("critmin") == "critmin.cli:main"
    from critmin import cli

    assert callable(cli.main) and cli.app.info.name == "critmin"
