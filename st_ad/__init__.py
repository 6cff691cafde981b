"""st_ad: source-transformation automatic differentiation for numeric Python, compiled by numba.

Pipeline (one folder per stage): ``frontend/`` (source, parse, check, normalise) ->
``analysis/`` (activity, to-be-recorded) -> ``codegen/`` (tangent and adjoint generators,
emission) using ``rules/`` (one module per family of primitives); generated code calls
``runtime/``. The public API is in ``api.py``.
"""

from ._version import VERSION
from .api import check_grad, grad, jvp, source, value_and_grad, vjp
from .errors import StAdError, StAdWarning, UnsupportedError
from .export import export
from .runtime.adjoint import stop_gradient
from .user_rules import non_differentiable, register_jvp, register_vjp, scalar_rule

__version__ = VERSION

__all__ = [
    "StAdError",
    "StAdWarning",
    "UnsupportedError",
    "check_grad",
    "export",
    "grad",
    "jvp",
    "non_differentiable",
    "register_jvp",
    "register_vjp",
    "scalar_rule",
    "source",
    "stop_gradient",
    "value_and_grad",
    "vjp",
]
