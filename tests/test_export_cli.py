"""st_ad.export (a standalone module of derivative kernels) and the command line
(``python -m st_ad show|export``). Subprocesses are few: one runs an exported module with
st_ad made unimportable, three prove the command line's entry point; the rest runs in-process
and compiles nothing."""

import ast
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import st_ad
from st_ad.__main__ import _wrt, main
from st_ad.export import export_source
from tests.callees import pair, scale_scalar, smooth, weighted

REPO = Path(__file__).resolve().parent.parent
SCALE = 2.0  # tests/callees.py has its own SCALE = 1.5: exporting both is a conflict


def softsign(r):
    return r / (1.0 + abs(r))


# a user rule (a lambda, exported as a def)
st_ad.scalar_rule(softsign, lambda r, y: 1.0 / ((1.0 + abs(r)) * (1.0 + abs(r))))


def chain(x, eps):
    """Calls user functions (plain and @njit, with their own callees, constants and a global
    array) and a function with a user rule."""
    e = 0.0
    for i in range(x.shape[0] - 1):
        e += pair(x[i], x[i + 1], eps)
    return e + smooth(x[0]) * eps + weighted(x) + softsign(x[1])


def norm(v):  # named like one of st_ad's runtime helpers
    return math.sqrt(np.sum(v * v))


def uses_norm(x):
    return norm(x) * 2.0


def reads_other_scale(x):
    return smooth(x[0]) * SCALE


def env_for(tmp_path: Path, repo_on_path: bool) -> dict:
    env = dict(os.environ)
    env.setdefault("ST_AD_CACHE_DIR", str(tmp_path / "st_ad_cache"))
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba_cache")
    if repo_on_path:
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    else:
        env.pop("PYTHONPATH", None)
    return env


def central_differences(f, x, *rest, h=1e-6):
    g = np.zeros_like(x)
    for k in range(x.size):
        up, down = x.copy(), x.copy()
        up[k] += h
        down[k] -= h
        g[k] = (f(up, *rest) - f(down, *rest)) / (2 * h)
    return g


# Imports the exported module with st_ad unimportable (a meta path finder refuses it, even
# through an editable install's finder) and the repository off sys.path.
RUN_EXPORTED = """
import json
import os
import sys


class NoStAd:
    def find_spec(self, name, path=None, target=None):
        if name == "st_ad" or name.startswith("st_ad."):
            raise ImportError("st_ad must not be imported by an exported module")


sys.meta_path.insert(0, NoStAd())
# the repository itself off the path (a venv inside it, as in CI, stays)
sys.path = [p for p in sys.path if p and os.path.realpath(p) != os.path.realpath({repo!r})]
sys.path.insert(0, {folder!r})
import numpy as np

import chain_kernels as k

x = np.array([0.3, -0.7, 1.1])
g = k.chain_grad(x, 0.5)
value, dvalue = k.chain_tangent(x, 0.5, np.array([1.0, -2.0, 0.5]))
assert not any(m == "st_ad" or m.startswith("st_ad.") for m in sys.modules)
print(json.dumps({{"grad": g.tolist(), "value": value, "dvalue": dvalue}}))
"""


def test_exported_module_runs_without_st_ad(tmp_path):
    path = st_ad.export(chain, tmp_path / "chain_kernels.py")
    text = path.read_text()
    assert not re.search(r"^\s*(import|from)\s+st_ad\b", text, re.MULTILINE)
    for name in ("chain_grad", "chain_value_and_grad", "chain_vjp", "chain_tangent"):
        assert f"\ndef {name}(" in text
    # callees' derivatives under the callers' names, the callees' source, a rule from a lambda
    for name in ("pair_vjp_a_b", "smooth_tangent_r", "pair", "square", "rule_softsign_partial"):
        assert f"\ndef {name}(" in text
    assert "WEIGHTS = np.array([1.0, 2.0, 0.5], dtype=np.float64)" in text
    assert "st = sys.modules[__name__]" in text
    compile(text, str(path), "exec")

    code = RUN_EXPORTED.format(repo=str(REPO), folder=str(tmp_path))
    child = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env_for(tmp_path, repo_on_path=False),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert child.returncode == 0, child.stderr
    out = json.loads(child.stdout.strip().splitlines()[-1])

    x = np.array([0.3, -0.7, 1.1])
    expected = central_differences(chain, x, 0.5)
    np.testing.assert_allclose(out["grad"], expected, rtol=1e-6, atol=1e-8)
    assert out["value"] == pytest.approx(chain(x, 0.5), rel=1e-12)
    assert out["dvalue"] == pytest.approx(expected @ np.array([1.0, -2.0, 0.5]), rel=1e-6)


def springs(x, k):
    e = 0.0
    for i in range(x.shape[0] - 1):
        d = x[i + 1] - x[i]
        e += k * d * d + np.sin(x[i])
    return e


def _import_file(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # the module reads itself as `st`
    spec.loader.exec_module(module)
    return module


def test_export_of_signatures_writes_the_typed_code_for_each(tmp_path):
    signatures = ["float64[::1], float64", (np.zeros(3, np.float32), 1.0)]
    path = st_ad.export(springs, tmp_path / "springs_typed.py", signatures=signatures)
    text = path.read_text()
    assert '--types "float64[::1], float64" --types "float32[::1], float64"' in text
    assert '@njit("(float64[::1], float64, float64)", cache=True' in text  # vjp's cotangent
    # the same module from the command line
    out = tmp_path / "cli.py"
    argv = ["export", f"{__name__}:springs", "-o", str(out)]
    argv += ["--types", "float64[::1], float64", "--types", "float32[::1], float64"]
    assert main(argv) == 0
    assert out.read_text().splitlines()[4:] == text.splitlines()[4:]  # past the -o line

    k = _import_file(path)  # compiles each signature as it is imported
    x = np.array([0.3, -0.7, 1.1, 0.4])
    want = central_differences(springs, x, 1.5)
    np.testing.assert_allclose(k.springs_grad_f64_1d_f64(x, 1.5), want, rtol=1e-6)
    value, g = k.springs_value_and_grad_f64_1d_f64(x, 1.5)
    assert value == pytest.approx(springs(x, 1.5), rel=1e-12)
    np.testing.assert_allclose(g, want, rtol=1e-6)
    np.testing.assert_allclose(k.springs_vjp_f64_1d_f64(x, 1.5, -2.0), -2.0 * want, rtol=1e-6)
    v = np.array([1.0, 0.5, -1.0, 2.0])
    _, dvalue = k.springs_tangent_f64_1d_f64(x, 1.5, v)
    assert dvalue == pytest.approx(want @ v, rel=1e-6)
    g32 = k.springs_grad_f32_1d_f64(x.astype(np.float32), 1.5)
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, want, rtol=1e-4)
    # each function is compiled for its own types only: numba refuses others
    with pytest.raises(TypeError, match="No matching definition"):
        k.springs_grad_f64_1d_f64(x.astype(np.float32), 1.5)


def calls_scale_scalar(x, a):
    return scale_scalar(x[0], a) * x[1]


def test_export_refuses_type_blind_kernels_of_a_callee_updating_an_argument():
    # type-blind kernels would call `scale_scalar` with any types, and `u *= a` changes an
    # array argument in place: st_ad's own modules guard the call, an exported one cannot
    with pytest.raises(st_ad.StAdError, match="updates its argument `u` in place") as info:
        export_source(calls_scale_scalar)
    assert "u *= a" in str(info.value)
    text = export_source(calls_scale_scalar, signatures=["float64[::1], float64"])
    assert "def calls_scale_scalar_grad_f64_1d_f64(" in text


def test_export_signature_errors():
    with pytest.raises(st_ad.StAdError, match="expected a list of signatures"):
        export_source(springs, signatures="float64[:], float64")
    with pytest.raises(st_ad.StAdError, match="signatures is empty"):
        export_source(springs, signatures=[])
    with pytest.raises(st_ad.StAdError, match=r"1 example argument\(s\) for 2 parameter"):
        export_source(springs, signatures=["float64[:]"])
    with pytest.raises(st_ad.StAdError, match="'float65' is not a numba type"):
        export_source(springs, signatures=["float64[:], float65"])


def sine_sum(x):
    return np.sum(np.sin(x))


def test_export_carries_only_the_runtime_helpers_its_code_calls():
    text = export_source(sine_sum)
    tree = ast.parse(text)
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets}
    called = {
        n.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "st"
    }
    assert called and called <= defined  # every helper the code calls is there
    assert "def cholesky_vjp(" not in text and "st_ad.runtime.matrix" not in text
    assert len(text.splitlines()) < 500  # the whole runtime is over 1,400 lines
    imported = {
        a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names
    }
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert imported <= read  # no import of a helper left out


def test_export_name_conflicts_are_errors():
    with pytest.raises(st_ad.StAdError, match=r"the name `norm` would stand for both"):
        export_source(uses_norm)
    with pytest.raises(st_ad.StAdError, match=r"the name `SCALE` would stand for both"):
        export_source(reads_other_scale)
    with pytest.raises(st_ad.StAdError, match="mode 'sideways'"):
        export_source(chain, modes=("reverse", "sideways"))


# the command line -----------------------------------------------------------------------------
def test_wrt_option():
    assert _wrt("1") == 1
    assert _wrt("x") == "x"
    assert _wrt("0, y") == (0, "y")
    assert _wrt("x,") == ("x",)


def test_show_in_process(capsys):
    assert main(["show", "tests.callees:square", "--mode", "forward", "--wrt", "d"]) == 0
    out = capsys.readouterr().out
    assert "def square_tangent(d, dd):" in out


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["show", "tests.callees"], 1, "expected module:function, got 'tests.callees'"),
        (["show", "no_such_module_xyz:f"], 1, "cannot import module 'no_such_module_xyz'"),
        (["export", "tests.callees:nope", "-o", "x.py"], 1, "has no function 'nope'"),
        (["show", "tests.callees:pair", "--mode", "sideways"], 2, "invalid choice: 'sideways'"),
        (["export", "tests.callees:pair"], 2, "required: -o/--output"),
    ],
)
def test_command_line_errors(capsys, argv, status, message):
    assert main(argv) == status
    err = capsys.readouterr().err
    assert err.startswith("st_ad: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_transformation_error_is_reported(capsys):
    assert main(["show", "tests.callees:pair", "--wrt", "z"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("st_ad: error: wrt='z' is not a parameter of pair")
    assert "Traceback" not in err


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "st_ad", *args],
        cwd=REPO,
        env=env_for(tmp_path, repo_on_path=True),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_command_line_entry_point(tmp_path):
    shown = cli(tmp_path, "show", "tests.callees:pair", "--wrt", "0,1")
    assert shown.returncode == 0, shown.stderr
    assert "def pair_grad(a, b, eps):" in shown.stdout

    out = tmp_path / "weighted_kernels.py"
    exported = cli(
        tmp_path, "export", "tests.callees:weighted", "-o", str(out), "--mode", "forward"
    )
    assert exported.returncode == 0, exported.stderr
    text = out.read_text()
    assert "def weighted_tangent(x, dx):" in text and "def weighted_grad(" not in text
    assert "--mode forward --wrt 0" in text  # how to regenerate it
    compile(text, str(out), "exec")

    failed = cli(tmp_path, "show", "tests.no_such_module:f")
    assert failed.returncode == 1
    assert failed.stderr.strip() == (
        "st_ad: error: cannot import module 'tests.no_such_module': "
        "No module named 'tests.no_such_module'"
    )
    assert failed.stdout == ""
