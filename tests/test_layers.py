"""The package's import layers: a module imports only from its own layer or lower ones, at
module level, and the modules' imports form no cycle. Read from the source, nothing imported."""

import ast
from pathlib import Path

import st_ad

PACKAGE = Path(st_ad.__file__).resolve().parent

# lowest first; a module belongs to the longest prefix that names it ("st_ad" is only the
# package's __init__)
LAYERS = [
    ["st_ad._version", "st_ad.errors", "st_ad.runtime"],  # what generated code imports
    ["st_ad.ir", "st_ad.syntax"],
    ["st_ad.rules"],
    ["st_ad.frontend"],
    ["st_ad.analysis"],
    ["st_ad.codegen"],
    ["st_ad.cache", "st_ad.transform"],
    [
        "st_ad.dispatch",
        "st_ad.signatures",
        "st_ad.api",
        "st_ad.user_rules",
        "st_ad.export",
        "st_ad.export_layout",
        "st_ad.export_runtime",
        "st_ad.export_typed",
        "st_ad.export_values",
        "st_ad",
        "st_ad.__main__",
    ],
]


def layer(module: str) -> int:
    found = [
        (len(prefix), k)
        for k, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or (prefix != "st_ad" and module.startswith(prefix + "."))
    ]
    assert found, f"{module} is in no layer: add it to LAYERS"
    return max(found)[1]


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ["st_ad", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports(module: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported st_ad module, line, at module level) for each relative import."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    known = modules()
    out = []
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.level):
            continue
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        stem = ".".join(base + ([node.module] if node.module else []))
        targets = [f"{stem}.{a.name}" for a in node.names if f"{stem}.{a.name}" in known]
        for target in targets or [stem]:
            out.append((target, node.lineno, id(node) in top))
    return out


def test_every_import_is_at_module_level_and_goes_down():
    wrong = []
    for module, path in modules().items():
        for target, line, at_top in imports(module, path):
            if not at_top:
                wrong.append(f"{module}:{line} imports {target} inside a function")
            elif layer(target) > layer(module):
                wrong.append(f"{module}:{line} imports {target}, a higher layer")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    known = modules()
    graph = {m: {t for t, _, _ in imports(m, p)} - {m} for m, p in known.items()}
    state: dict[str, int] = {}  # 1: on the stack, 2: done

    def visit(m: str, stack: list[str]) -> list[str] | None:
        state[m] = 1
        for t in sorted(graph.get(m, ())):
            if state.get(t) == 1:
                return stack + [m, t]
            if t not in state:
                found = visit(t, stack + [m])
                if found:
                    return found
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            cycle = visit(m, [])
            assert cycle is None, " -> ".join(cycle)


def test_a_module_outside_the_layers_is_reported():
    try:
        layer("st_ad.somewhere_new")
    except AssertionError as exc:
        assert "LAYERS" in str(exc)
    else:
        raise AssertionError("an unknown module was given a layer")
