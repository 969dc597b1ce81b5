"""The layers import what the architecture says they do (README, "Architecture").

* Every query of the knowledge base goes through the query layer: only :mod:`critmin.kb`
  calls the store; only :mod:`critmin.store` imports DuckDB.
* The store imports only :mod:`critmin.snapshot.manifest` (and the schema), and nothing in
  the snapshot package imports the store: no import circle between them.
* The interfaces (CLI, web, reports) neither query the store nor write SQL.
"""

from __future__ import annotations

import ast
from pathlib import Path

import critmin

SRC = Path(critmin.__file__).resolve().parent


def modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        yield rel, ast.parse(path.read_text(encoding="utf-8"))


def imported(tree: ast.AST) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def store_calls(tree: ast.AST) -> list[int]:
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
            and n.value.id == "store" and n.attr in ("query", "table", "connection")]


def test_only_the_query_layer_calls_the_store():
    callers = {rel: lines for rel, tree in modules() if (lines := store_calls(tree)) and rel not in ("kb.py", "store.py")}
    assert callers == {}, callers
    duck = [rel for rel, tree in modules() if "duckdb" in imported(tree) and rel != "store.py"]
    assert duck == [], duck


def test_no_import_circle_between_the_snapshot_and_the_store():
    store_imports = {m for m in imported(ast.parse((SRC / "store.py").read_text())) if m.startswith("critmin")}
    assert store_imports <= {"critmin.snapshot.manifest", "critmin.snapshot.manifest.default_dir",
                             "critmin.snapshot.manifest.fingerprint", "critmin.snapshot.manifest.load_manifest",
                             "critmin", "critmin.schema"}, store_imports
    upper = {"store", "kb", "api"}
    for rel, tree in modules():
        if not rel.startswith("snapshot/"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            else:
                continue
            bad = {n for n in names if n.split(".")[:2] in (["critmin", u] for u in upper)}
            assert not bad, (rel, node.lineno, bad)


def test_interfaces_write_no_sql():
    for rel, tree in modules():
        if not rel.startswith(("cli/", "web/api/", "web/pages/", "web/app.py", "report/")):
            continue
        assert "critmin.store" not in imported(tree), rel
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.upper()
                assert not ("SELECT " in text and " FROM " in text), (rel, node.lineno, node.value[:80])
