"""docs/primitives.md, generated from the rule table: ``python -m st_ad.rules.docs`` rewrites
it, and a test fails when the file and the table disagree."""

from __future__ import annotations

import sys
from pathlib import Path

import gast
import numpy

from . import RULES
from .registry import Rule

FAMILIES = [
    ("arithmetic", "Arithmetic operators"),
    ("elementwise", "Elementwise functions (numpy ufuncs and `math`)"),
    ("reduction", "Reductions"),
    ("shape", "Shapes, copies and indexing"),
    ("linalg", "Products and linear algebra"),
    ("user", "Marking values constant"),
]

_OPERATORS = {
    gast.Add: "a + b",
    gast.Sub: "a - b",
    gast.Mult: "a * b",
    gast.Div: "a / b",
    gast.Pow: "a ** b",
    gast.USub: "-a",
    gast.MatMult: "a @ b",
}
_SYNTAX = {"getitem": "x[index]", "transpose": "x.T"}
_MODULES = {"numpy": "np", "numpy.linalg": "np.linalg", "math": "math", "builtins": ""}


def spelling(key: object) -> str:
    """How a user writes the primitive ``key`` names."""
    if key in _OPERATORS:
        return _OPERATORS[key]
    if isinstance(key, str):
        return f"x{key}()" if key.startswith(".") else _SYNTAX.get(key, key)
    module = getattr(key, "__module__", None) or "builtins"
    if module.startswith("st_ad"):
        return f"st_ad.{key.__name__}"
    if module.startswith("numpy") and getattr(numpy.linalg, key.__name__, None) is key:
        module = "numpy.linalg"
    elif module.startswith("numpy"):
        module = "numpy"
    prefix = _MODULES.get(module, module)
    return f"{prefix}.{key.__name__}" if prefix else key.__name__


def _modes(rule: Rule) -> tuple[str, str]:
    rules = [p for p in rule.parts if p is not None] if rule.parts else [rule]
    forward = all(r.jvp is not None for r in rules)
    reverse = all(r.vjp is not None for r in rules)
    return ("yes" if forward else "no"), ("yes" if reverse else "no")


def markdown() -> str:
    spellings: dict[int, list[str]] = {}
    rules: dict[int, Rule] = {}
    for key, rule in RULES.items():
        if rule.family in ("", "user") and rule.name != "stop_gradient":
            continue
        rules[id(rule)] = rule
        spellings.setdefault(id(rule), []).append(spelling(key))
    lines = [
        "# Supported primitives",
        "",
        "Generated from st_ad's rule table by `python -m st_ad.rules.docs`; "
        "tests/test_docs.py fails when this file and the table disagree.",
        "",
        "Forward is the tangent rule (`st_ad.jvp`), reverse the adjoint rule (`st_ad.grad`, "
        "`st_ad.vjp`). Binary elementwise functions and operators broadcast: their "
        "cotangents are summed back to each operand's shape. `axis=` is accepted where "
        "listed, also where numba's own function lacks it (st_ad then computes the "
        "primal itself). Functions of your own get rules with `st_ad.register_vjp`, "
        "`st_ad.register_jvp` and `st_ad.scalar_rule` (see docs/api.md).",
    ]
    for family, title in FAMILIES:
        members = [r for r in rules.values() if r.family == family]
        if not members:
            continue
        lines += ["", f"## {title}", "", "| primitive | spellings | forward | reverse | notes |"]
        lines.append("|---|---|---|---|---|")
        for rule in sorted(members, key=lambda r: r.name):
            forward, reverse = _modes(rule)
            written = ", ".join(f"`{s}`" for s in sorted(set(spellings[id(rule)])))
            lines.append(f"| {rule.name} | {written} | {forward} | {reverse} | {rule.note} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else Path("docs/primitives.md")
    path.write_text(markdown())
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
