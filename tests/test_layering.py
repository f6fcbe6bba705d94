"""The import rules of DESIGN.md: Qt only in gui, no torch in the app's import path, core ⟂ storage."""

import ast
import re
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "faceapp"


def _imports(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _files(sub: str) -> list[Path]:
    return sorted((PKG / sub).rglob("*.py")) if sub else sorted(PKG.rglob("*.py"))


def test_only_gui_imports_qt():
    # outside faceapp/gui, Qt is never imported at module level (the `gui` command loads it lazily)
    for f in _files(""):
        if "gui" in f.relative_to(PKG).parts:
            continue
        assert not any(m.startswith("PySide6") for m in _imports(f, True)), f
    for f in _files("core") + _files("storage") + _files("jobs"):
        assert not any(m.startswith("PySide6") for m in _imports(f, False)), f


def test_core_and_storage_do_not_import_each_other_or_gui():
    for f in _files("core"):
        assert not any(m.startswith(("faceapp.storage", "faceapp.gui", "faceapp.jobs")) for m in _imports(f, False)), f
    for f in _files("storage"):
        assert not any(m.startswith(("faceapp.core", "faceapp.gui", "faceapp.jobs")) for m in _imports(f, False)), f


def test_xmp_is_a_file_format_without_a_library():
    files = _files("xmp")
    assert len(files) >= 7
    for f in files:
        assert not any(m.startswith(("faceapp.storage", "faceapp.jobs", "faceapp.gui", "faceapp.cli", "sqlite"))
                       for m in _imports(f, False)), f


def test_benchmark_only_modules_live_under_bench():
    # what only measures (clustering against the truth, the oracle, synthetic libraries) is not the app
    for name in ("cluster_eval", "cluster_oracle", "cluster_synth"):
        assert (PKG / "bench" / f"{name}.py").exists() and not (PKG / "core" / f"{name}.py").exists()
    for f in _files("core") + _files("jobs") + _files("storage") + _files("gui"):
        assert not any(m.startswith("faceapp.bench") for m in _imports(f, False)) or f.name == "stall_bench.py", f


def test_benchmarks_do_not_import_the_command_line():
    # a benchmark is a library of measurements: the CLI imports it, never the other way round
    for f in _files("bench"):
        assert not any(m.startswith("faceapp.cli") for m in _imports(f, False)), f


def test_nothing_in_faceapp_imports_torch_or_trainer_at_module_level():
    for f in _files(""):
        assert not any(m.split(".")[0] in ("torch", "trainer") for m in _imports(f, True)), f


def test_importing_the_app_and_cli_loads_no_torch():
    code = (
        "import sys, importlib, pkgutil, faceapp\n"
        "for m in pkgutil.walk_packages(faceapp.__path__, 'faceapp.'):\n"
        "    if '.gui' not in m.name and not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
        "from faceapp.cli import build_parser; build_parser()\n"
        "print('torch' in sys.modules, 'PySide6' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


# SQL belongs in faceapp/storage: a string literal that reads as SQL, or a call of .execute/.executemany/
# .executescript, anywhere else in faceapp or trainer fails. The files below still hold SQL: others were
# editing them while storage took the rest over.
SQL_ALLOWED: set[str] = set()  # (empty: kept so that a file moved out later has one place to wait)
_SQL = re.compile(
    r"\b(SELECT\b[\s\S]*\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(TABLE|INDEX|VIEW|TRIGGER|UNIQUE)|PRAGMA\s+\w+|BEGIN\s+IMMEDIATE)\b"
)


def _sql_in(path: Path) -> list[str]:
    """Where a file holds SQL: string literals that read as SQL (docstrings aside) and execute calls."""
    tree = ast.parse(path.read_text())
    docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
                and _SQL.search(node.value)):
            found.append(f"line {node.lineno}: {node.value[:60]!r}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("execute", "executemany", "executescript")):
            found.append(f"line {node.lineno}: .{node.func.attr}(…)")
    return found


def test_sql_lives_in_storage():
    root = PKG.parent
    offenders = {}
    for f in sorted(PKG.rglob("*.py")) + sorted((root / "trainer").rglob("*.py")):
        rel = f.relative_to(root).as_posix()
        if rel.startswith("faceapp/storage/") or rel in SQL_ALLOWED:
            continue
        if found := _sql_in(f):
            offenders[rel] = found
    assert not offenders, f"SQL outside faceapp/storage (add an intention-level function there): {offenders}"
    still = {rel for rel in SQL_ALLOWED if _sql_in(root / rel)}
    assert still == SQL_ALLOWED, f"no SQL left in {sorted(SQL_ALLOWED - still)}: take it off SQL_ALLOWED"


def test_the_sql_scan_sees_sql(tmp_path):
    f = tmp_path / "m.py"
    f.write_text('Q = "SELECT id FROM photos"\ndef g(db):\n    """Runs BEGIN IMMEDIATE."""\n    db.execute(Q)\n'
                 '    return "select a thing from the menu"\n')
    assert [x.split(":")[0] for x in _sql_in(f)] == ["line 1", "line 4"]


def test_clustering_is_one_package():
    # the clustering's modules live in faceapp/core/cluster/, none beside it as core/cluster_*.py
    assert (PKG / "core" / "cluster" / "__init__.py").exists()
    assert not (PKG / "core" / "cluster.py").exists()
    assert not sorted((PKG / "core").glob("cluster_*.py"))
