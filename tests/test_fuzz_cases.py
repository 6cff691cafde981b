"""Kept fuzz cases: every minimal program the fuzzer found st_ad getting wrong must be correct.

Each file in ``tests/fuzz/cases/`` defines ``f`` (and any helpers), ``ARGS`` and ``WRT``; its
docstring says what went wrong when it was found. The check is the fuzzer's own
(``tests/fuzz/check.py``): every mode against plain Python and finite differences at two
steps, the dot-product identity, and untouched arguments. Check one case by hand with
``python -m tests.fuzz.check tests/fuzz/cases/NAME.py``.
"""

from pathlib import Path

import pytest

from tests.fuzz.check import check_program

CASES = sorted((Path(__file__).parent / "fuzz" / "cases").glob("*.py"))
# Programs the fuzzer found that numba itself cannot compile once normalised: each must be a
# clean StAdError naming the file and line (with a hint), never a wrong number. Each file's
# docstring names the numba limit; ``LIMIT`` is the phrase the error must contain.
LIMITS = sorted((Path(__file__).parent / "fuzz" / "limits").glob("*.py"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fuzz_case(path: Path) -> None:
    outcome = check_program(path)
    assert outcome.status == "correct", outcome.report()


@pytest.mark.parametrize("path", LIMITS, ids=[p.stem for p in LIMITS])
def test_fuzz_limit(path: Path) -> None:
    outcome = check_program(path)
    assert outcome.status == "unsupported", outcome.report()
    limit = next(line for line in path.read_text().splitlines() if line.startswith("LIMIT"))
    assert eval(limit.split("=", 1)[1]) in outcome.reason, outcome.report()
