"""The rule library: one module per family of primitives, all registered in ``RULES``.

- arithmetic.py: ``+ - * / **`` and unary minus
- elementwise.py: sin, cos, tan, exp, log, log1p, sqrt, tanh, abs (math and numpy)
- arrays.py: constructors, copy, indexing, transpose, sum
- linalg.py: np.dot and ``@``
"""

from . import arithmetic, arrays, elementwise, linalg  # noqa: F401  (they register rules)
from .registry import RULES, Rule, lookup

__all__ = ["RULES", "Rule", "lookup"]
