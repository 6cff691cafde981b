"""Forward substitution (``codegen/substitute.py``) and merged tape moves
(``codegen/tape_runs.py``) on typed code: what they write, what they must leave alone, and
derivatives through them bit for bit those of the type-blind code."""

import math
import textwrap

import gast
import numpy as np
import pytest

import st_ad
from st_ad.codegen.build import COMMENT
from st_ad.codegen.emit import unparse
from st_ad.codegen.substitute import substitute
from st_ad.codegen.tape_runs import merge_tape_runs
from tests.problems import LORENZ_PARAMS, LORENZ_U0, lorenz_rk4


def _function(body: str) -> gast.FunctionDef:
    text = "def f(a, b, x, tape):\n" + textwrap.indent(textwrap.dedent(body), "    ")
    for word in ("line", "record"):  # the generators' comment markers
        text = text.replace(f"# {word}", f"'{COMMENT}{word}")
    text = "\n".join(line + "'" if f"'{COMMENT}" in line else line for line in text.splitlines())
    return gast.parse(text).body[0]


def _substituted(body: str, scalars: str) -> str:
    fn = _function(body)
    substitute(fn, set(scalars.split()))
    return _body_text(fn)


def _body_text(fn: gast.FunctionDef) -> str:
    lines = unparse(fn).strip().splitlines()[1:]  # the body, under the def line
    return textwrap.dedent("\n".join(lines))


SUBSTITUTIONS = [
    # (body, scalars, expected)
    ("t = a * b\nc = t + 1.0\nreturn c", "a b t c", "return a * b + 1.0"),
    # a store of what the value reads, between: the value stays
    (
        "t = a * b\na = 2.0\nc = t + a\nreturn c",
        "a b t c",
        "t = a * b\na = 2.0\nreturn t + a",
    ),
    # an array written between: a value that reads it stays
    (
        "t = x[0]\nx[0] = 5.0\nc = t * 2.0\nreturn c",
        "t c",
        "t = x[0]\nx[0] = 5.0\nreturn t * 2.0",
    ),
    # never into a loop (it would run once per iteration)
    (
        "t = a * b\nc = 0.0\nfor i in range(3):\n    c += t\nreturn c",
        "a b t c i",
        "t = a * b\nc = 0.0\nfor i in range(3):\n    c += t\nreturn c",
    ),
    # a copy goes into every read
    ("a2 = a\nc = a2 + a2\nreturn c", "a a2 c", "return a + a"),
    # a copy whose source is re-bound before a read stays
    (
        "a_t1 = a\na = 3.0\nc = a_t1 + a\nreturn c",
        "a a_t1 c",
        "a_t1 = a\na = 3.0\nreturn a_t1 + a",
    ),
    # a copy back (`z_bar = t_bar`) stores the value z_bar has: both copies go
    (
        "t_t1_bar = z_bar\nz = 1.0\nz_bar = t_t1_bar\nw = t_t1_bar * z\nreturn w + z_bar",
        "t_t1_bar z_bar z w",
        "return z_bar * 1.0 + z_bar",
    ),
    # a value does not move past another line's comment
    (
        "e = a\n# line 3: c = a * b\nt = a * b\n# line 4: d = t\nd = t + 1.0\nreturn d + e",
        "a b t d e",
        "e = a\n# line 3: c = a * b\nt = a * b\n# line 4: d = t\nreturn t + 1.0 + e",
    ),
    # a temporary copied into a named adjoint takes that name
    (
        "x_t3_bar = a * b\nk_bar = x_t3_bar\nm_bar = x_t3_bar * 2.0\nreturn k_bar + m_bar",
        "a b x_t3_bar k_bar m_bar",
        "k_bar = a * b\nreturn k_bar + k_bar * 2.0",
    ),
    # a value with a call that is not numpy's or math's is never moved
    ("t = g(a)\nc = t + 1.0\nreturn c", "a t c", "t = g(a)\nreturn t + 1.0"),
    # a name bound twice, each binding read only after it in its own block (a value both
    # sweeps compute): each binding is substituted into its own reads
    (
        "for i in range(3):\n    t = a * b\n    c = t + 1.0\n    x[i] = c\nt = a - b\n"
        "return t * 2.0",
        "a b t c",
        "for i in range(3):\n    x[i] = a * b + 1.0\nreturn (a - b) * 2.0",
    ),
    # ... but not a name read in a loop before the loop binds it (the last iteration's value)
    (
        "t = a\nfor i in range(3):\n    c = t * 2.0\n    t = c + b\nreturn t",
        "a b t c",
        "t = a\nfor i in range(3):\n    t = t * 2.0 + b\nreturn t",
    ),
    # ... nor one a nested block may bind between the binding and the read
    (
        "t = a * b\nif a > 0.0:\n    t = b\nc = t + 1.0\nreturn c",
        "a b t c",
        "t = a * b\nif a > 0.0:\n    t = b\nreturn t + 1.0",
    ),
    # ... nor a binding the next binding reads (`t = t + 1.0`); that next one is substituted
    (
        "t = a * b\nt = t + 1.0\nc = t * 2.0\nreturn c",
        "a b t c",
        "t = a * b\nreturn (t + 1.0) * 2.0",
    ),
    # ... nor one an update reads (`z += b` reads z): the corpus's s_augassign lost `z = a`
    # while `z += b` still read it
    (
        "z = a\nx[0] = z\nz += b\nz *= a\nreturn z",
        "a b z",
        "z = a\nx[0] = z\nz += b\nz *= a\nreturn z",
    ),
    # ... nor one a `while` test reads when the loop's body binds it
    (
        "t = a\nwhile t < 1.0:\n    t = t * 2.0\nc = t + b\nreturn c",
        "a b t c",
        "t = a\nwhile t < 1.0:\n    t = t * 2.0\nreturn t + b",
    ),
]


@pytest.mark.parametrize("body, scalars, expected", SUBSTITUTIONS)
def test_substitution(body, scalars, expected):
    assert _substituted(body, scalars) == expected


def _merged(body: str) -> str:
    fn = _function(body)
    fn.body = merge_tape_runs(fn.body)
    return _body_text(fn)


def test_tape_runs_move_the_top_once():
    pushes = "tape[tape_top] = a\ntape_top += 1\ntape[tape_top] = b\ntape_top += 1\n"
    assert _merged(pushes) == "tape[tape_top] = a\ntape[tape_top + 1] = b\ntape_top += 2"
    pops = (
        "tape_top -= 1\nb = tape[tape_top]\ntape_top -= 1\nn = int(tape[tape_top])\n"
        "tape_top -= 1\nflag = tape[tape_top] != 0.0\n"
    )
    assert _merged(pops) == (
        "tape_top -= 3\nb = tape[tape_top + 2]\nn = int(tape[tape_top + 1])\n"
        "flag = tape[tape_top] != 0.0"
    )
    # a push whose value reads the tape's top is not part of a run
    reads_top = "tape[tape_top] = a\ntape_top += 1\ntape[tape_top] = tape_top\ntape_top += 1\n"
    assert _merged(reads_top) == reads_top.strip()


def test_a_run_of_records_gives_one_reason():
    why = "the next iteration overwrites it; the adjoint of line {} reads it"
    run = "c = a\n" + "".join(  # (a comment first in a body would be its docstring)
        f"# record {v}: {why.format(n)}\ntape[tape_top] = {v}\ntape_top += 1\n"
        for v, n in (("a", 3), ("b", "4, 5"), ("x", 6))
    )
    assert _merged(run) == (
        "c = a\n"
        "# record what the next iteration overwrites, with the lines whose adjoint reads it:\n"
        "# a (3), b (4, 5), x (6)\n"
        "tape[tape_top] = a\ntape[tape_top + 1] = b\ntape[tape_top + 2] = x\ntape_top += 3"
    )
    # two records keep a line each; so do records overwritten by different statements
    assert _merged(run.split("# record x")[0]).count("# record") == 2
    mixed = run.replace("the next iteration", "line 9", 1)
    assert _merged(mixed).count("# record") == 3


def counted_loop(a, x, n):
    # int and bool values recorded in a loop, a copy, an array write between a read and a use
    s = 0.0
    k = 0
    for i in range(n):
        big = s > 1.0
        k = k + 1 if big else k
        t = x[i % 3] * a
        x[(i + 1) % 3] = t * 0.5
        s = s + math.sin(t) * (2.0 if big else 1.0) + k * 0.01
    return s * x[0]


@pytest.mark.parametrize(
    "f, args, wrt",
    [
        (lorenz_rk4, (LORENZ_U0.copy(), LORENZ_PARAMS.copy(), 1e-3, 200), (0, 1)),
        (counted_loop, (0.7, np.array([0.3, 0.2, 0.5]), 12), (0, 1)),
    ],
    ids=["lorenz", "counted_loop"],
)
def test_typed_gradient_is_the_type_blind_one_bit_for_bit(f, args, wrt):
    g = st_ad.grad(f, wrt=wrt)
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    typed = g(*copies)
    blind = g.st_generic(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    for t, b in zip(typed, blind, strict=True):
        np.testing.assert_array_equal(t, b)
    # and right: a central difference along one direction per argument
    directions = [np.cos(np.arange(np.size(args[k])) + 1.0).reshape(np.shape(args[k])) for k in wrt]

    def along(h):
        moved = _fresh(args)
        for k, d in zip(wrt, directions, strict=True):
            moved[k] = float(args[k] + h * d) if np.isscalar(args[k]) else args[k] + h * d
        return f(*moved)

    fd = (along(1e-6) - along(-1e-6)) / 2e-6
    projected = sum(float(np.sum(t * d)) for t, d in zip(typed, directions, strict=True))
    assert math.isclose(projected, fd, rel_tol=1e-6)


def _fresh(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]
