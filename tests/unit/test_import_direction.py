"""DESIGN.md section 2: imports point one way. Sibling tools never import each other."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = {
    "oc_core": ROOT / "libcore" / "oc_core",
    "oc_wire": ROOT / "tools" / "wire" / "oc_wire",
    "oc_flist": ROOT / "tools" / "flist" / "oc_flist",
    "oc_sig": ROOT / "tools" / "sig" / "oc_sig",
    "oc_delta": ROOT / "tools" / "delta" / "oc_delta",
    "oc_patch": ROOT / "tools" / "patch" / "oc_patch",
    "oc_rsync": ROOT / "tools" / "rsync" / "oc_rsync",
}
STAGES = {"oc_flist", "oc_sig", "oc_delta", "oc_patch"}
ALLOWED = {
    "oc_core": set(),
    "oc_wire": {"oc_core"},
    **{s: {"oc_wire", "oc_core"} for s in STAGES},
    "oc_rsync": STAGES | {"oc_wire", "oc_core"},
}


def _top_level_imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _imported_packages(path: pathlib.Path) -> set[str]:
    return _top_level_imports(path) & PACKAGES.keys()


def test_imports_follow_the_dependency_direction():
    wrong = []
    for pkg, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            for dep in _imported_packages(path) - {pkg} - ALLOWED[pkg]:
                wrong.append(f"{path.relative_to(ROOT)} imports {dep}")
    assert wrong == []


def test_only_cli_modules_import_click():
    offenders = [
        str(path.relative_to(ROOT))
        for folder in PACKAGES.values()
        for path in folder.rglob("*.py")
        if path.name != "cli.py" and "click" in _top_level_imports(path)
    ]
    assert offenders == []
