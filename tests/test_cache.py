"""The on-disk cache, across processes: a warm process generates nothing, an edited callee
invalidates, concurrent processes on an empty cache agree, a truncated file is regenerated.
Also the key itself (in-process, no compilation)."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import st_ad
from st_ad import cache

REPO = Path(__file__).resolve().parent.parent

HELPER = """
import math


def bump(r):
    return {scale} * math.sin(r) * r
"""

MAIN = """
from helper_mod import bump


def energy(x):
    e = 0.0
    for i in range(x.shape[0]):
        e += bump(x[i])
    return e
"""

CHILD = """
import json
import numpy as np
import st_ad
from st_ad import cache
from main_mod import energy

x = np.array([0.5, -1.25, 2.0])
grad = st_ad.grad(energy)
g = grad(x)
compiled = {"loaded": sum(grad.stats.cache_hits.values()), "compiled": len(grad.stats.cache_misses)}
print(json.dumps({"grad": g.tolist(), "stats": cache.STATS, "numba": compiled}))
"""


def analytic(scale, x):
    return scale * (np.cos(x) * x + np.sin(x))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("cache_project")
    (root / "main_mod.py").write_text(textwrap.dedent(MAIN))
    (root / "helper_mod.py").write_text(textwrap.dedent(HELPER.format(scale=2.0)))
    return root


def run_child(project: Path, cache_root: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env["ST_AD_CACHE_DIR"] = str(cache_root)
    env["NUMBA_CACHE_DIR"] = str(cache_root / "numba")
    # numba at -O0 (the test suite's setting) cannot cache calls to other dispatchers
    env.pop("NUMBA_OPT", None)
    env["PYTHONPATH"] = os.pathsep.join([str(project), str(REPO)])
    return subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def result(child: subprocess.Popen, stage: str) -> dict:
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, f"{stage}: {err}"
    return json.loads(out.strip().splitlines()[-1])


X = np.array([0.5, -1.25, 2.0])


def test_cache_across_processes(project, tmp_path):
    cache_root = tmp_path / "cache"
    # four processes at once on an empty cache: all succeed and agree
    children = [run_child(project, cache_root) for _ in range(4)]
    results = [result(c, "concurrent") for c in children]
    for r in results:
        np.testing.assert_allclose(r["grad"], analytic(2.0, X), rtol=1e-13)
        assert r["grad"] == results[0]["grad"]
    assert not list(cache_root.rglob("*.tmp")), "a temporary file was left behind"
    assert any(r["numba"]["compiled"] == 1 for r in results)  # someone compiled it first

    # a second process reuses everything: no code generation, no numba compilation
    warm = result(run_child(project, cache_root), "warm")
    # energy's module for these argument types and its callee bump; energy's type-blind
    # module is not read (its cache entry is only checked)
    assert warm["stats"] == {"generated": 0, "reused": 2}
    assert warm["numba"] == {"loaded": 1, "compiled": 0}
    assert warm["grad"] == results[0]["grad"]

    # a truncated generated module is detected and regenerated, never imported
    modules = sorted((cache_root / "generated").glob("energy_reverse_*.py"))
    assert len(modules) == 1
    text = modules[0].read_text()
    modules[0].write_text(text[: len(text) // 2])
    repaired = result(run_child(project, cache_root), "truncated module")
    assert repaired["stats"]["generated"] == 1
    assert modules[0].read_text() == text
    np.testing.assert_allclose(repaired["grad"], analytic(2.0, X), rtol=1e-13)

    # a corrupt index entry is regenerated too
    for entry in (cache_root / "index").glob("*.json"):
        entry.write_text("{not json")
    rebuilt = result(run_child(project, cache_root), "corrupt index")
    assert rebuilt["stats"] == {"generated": 3, "reused": 0}  # the three modules above

    # editing the callee's source invalidates the caller's transform
    (project / "helper_mod.py").write_text(textwrap.dedent(HELPER.format(scale=3.0)))
    edited = result(run_child(project, cache_root), "edited callee")
    assert edited["stats"]["generated"] == 3  # energy's two modules and bump's
    np.testing.assert_allclose(edited["grad"], analytic(3.0, X), rtol=1e-13)


# the key, in-process --------------------------------------------------------------------------
OFFSET = 1.0
TABLE = np.array([1.0, 2.0])


def uses_globals(x):
    return OFFSET * x + TABLE[0]


def test_key_covers_options_constants_and_arrays():
    global OFFSET
    key = cache.transform_key(uses_globals, 0, "reverse")
    assert cache.transform_key(uses_globals, 0, "forward") != key
    assert cache.transform_key(uses_globals, (0,), "reverse") != key
    OFFSET = 2.0
    try:
        assert cache.transform_key(uses_globals, 0, "reverse") != key
    finally:
        OFFSET = 1.0
    assert cache.transform_key(uses_globals, 0, "reverse") == key
    TABLE[0] = 5.0
    try:
        assert cache.transform_key(uses_globals, 0, "reverse") != key
    finally:
        TABLE[0] = 1.0


def test_cache_directory_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ST_AD_CACHE_DIR", str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("ST_AD_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert cache.cache_dir() == tmp_path / "xdg" / "st_ad"
    assert st_ad.__version__ in cache.fingerprint() or len(cache.fingerprint()) == 64
