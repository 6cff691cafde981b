"""The generated source is a product surface: it compiles, keeps user names, points back to
the original lines, and the adjoint of a small loop function is pinned by a golden file."""

import math
from pathlib import Path

import numpy as np

import st_ad
from tests.golden_funcs import damped_sum

GOLDEN = Path(__file__).parent / "golden" / "damped_sum_adjoint.py.txt"


def _body(source: str) -> str:
    # the two header lines name the absolute path of the user's file
    return "\n".join(source.splitlines()[2:]) + "\n"


def test_adjoint_matches_golden_file():
    source = _body(st_ad.source(damped_sum, mode="reverse"))
    if not GOLDEN.exists():  # first run writes it; review and commit
        GOLDEN.write_text(source)
    assert source == GOLDEN.read_text()


def test_generated_source_compiles_and_reads_like_the_original():
    for mode in ("reverse", "forward"):
        source = st_ad.source(damped_sum, mode=mode)
        compile(source, "<generated>", "exec")
        assert "# line 9: t = math.sin(x[i] * s + 1.0)" in source
        assert "s = 0.0" in source and "t = math.sin(t_t1)" in source
    reverse = st_ad.source(damped_sum, mode="reverse")
    assert "x_bar" in reverse and "t_bar" in reverse and "s_bar" in reverse
    assert "# adjoint of line 10: s += t * t" in reverse
    assert "# record t:" in reverse  # every stored slot says why
    assert "# record s: line 10 overwrites it" in reverse
    forward = st_ad.source(damped_sum, mode="forward")
    assert "dx" in forward and "dt =" in forward


def test_golden_function_gradient():
    x = np.linspace(0.1, 1.0, 7)
    g = st_ad.grad(damped_sum)(x, 7)
    h = 1e-6
    for k in range(7):
        e = np.zeros(7)
        e[k] = h
        fd = (damped_sum(x + e, 7) - damped_sum(x - e, 7)) / (2 * h)
        assert math.isclose(g[k], fd, rel_tol=1e-7, abs_tol=1e-9)
    assert math.isclose(st_ad.value_and_grad(damped_sum)(x, 7)[0], damped_sum(x, 7), rel_tol=1e-14)


def product_of(a, b):
    return a * b


@st_ad.register_vjp(product_of)
def _product_of_vjp(g, y, a, b):
    return (g * b, g * a)


def through_product(x, y):
    t = product_of(x, y)
    return t * t


def test_names_do_not_depend_on_how_often_the_generator_ran():
    """Each entry point names its temporaries as if it were generated alone (the reverse
    generator runs its sweep several times to find what to record, then once per entry)."""
    source = st_ad.source(through_product, wrt=(0, 1))
    assert source.count("    t_cotangents = rule_product_of_vjp(t_bar, t, x, y)\n") == 3
    assert "t_cotangents2" not in source


def test_typed_generation_leaves_the_type_blind_source_unchanged(tmp_path):
    # Regression: the typed passes (specialise, tidy, substitute) rewrote the generator's
    # trees in place, and those trees share expressions with the cached plan of the function:
    # a type-blind module generated after a typed one came out with scalar substitutions in it
    # (`t_t1 = t_t3 * s + 1.0`), a text that depended on what ran before and was valid only
    # for the types it was specialised to. A copy of the golden function in a file of its own
    # (so no cache entry exists) must give the golden text after a typed generation.
    copy_path = tmp_path / "golden_copy.py"
    copy_path.write_text((Path(__file__).parent / "golden_funcs.py").read_text())
    scope: dict = {}
    exec(compile(copy_path.read_text(), str(copy_path), "exec"), scope)
    f = scope["damped_sum"]
    st_ad.source(f, np.linspace(0.1, 0.5, 4), 4, mode="reverse")
    assert _body(st_ad.source(f, mode="reverse")) == GOLDEN.read_text()
