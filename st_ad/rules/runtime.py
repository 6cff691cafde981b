"""Rules for st_ad's own runtime helpers, so that generated derivative code is itself in the
differentiable subset: ``st_ad.jvp(st_ad.grad(f))`` differentiates the generated adjoint
(Hessian-vector products), as JAX composes ``jvp`` and ``grad``.

Most helpers are linear in the cotangent they receive, so their tangent is the same helper
applied to the cotangent's tangent. The tape (loops that record values) has no rules yet.
"""

from __future__ import annotations

from .. import runtime as rt
from .registry import Rule, RuleError, elementwise, no_derivative, register, unsupported
from .sym import ZERO, st


def _no_reverse(*args):
    raise RuleError(
        "reverse mode over st_ad's generated derivative code is not supported",
        "compose forward over reverse: st_ad.jvp(st_ad.grad(f)) gives Hessian-vector products",
    )


def _runtime(keys, name, jvp, vjp, diff=(0,)) -> Rule:
    return register(keys, Rule(name, jvp, vjp or _no_reverse, diff=diff, family="runtime"))


no_derivative(
    [rt.zeros_adj, rt.reset, rt.extremum_mask, rt.trip_count, rt.check_unshared, rt.unfolded],
    "runtime constant",
    family="runtime",
    note="zeros, resets and masks",
)

no_derivative(
    [rt.stop_gradient],
    "stop_gradient",
    family="user",
    note="st_ad.stop_gradient(x): x, held constant",
)

elementwise([rt.log_nonzero], "log_nonzero", lambda x, y: 1.0 / x).family = "runtime"

# identities (checks, copies, casts)
for helper in (rt.assert_differentiable, rt.assert_scalar_output, rt.keep):
    _runtime([helper], helper.__name__, lambda y, x, dx: dx, lambda g, y, x: (g,))


def _first_argument_jvp(y, x, *rest):
    return rest[len(rest) // 2]  # the tangent of the value checked


def _first_argument_vjp(g, y, x, *rest):
    return (g,) + (None,) * len(rest)


# checks that return their first argument (the others only say what it must fit)
for helper in (rt.check_tangent, rt.check_cotangent, rt.check_distinct, rt.unshared):
    register(
        [helper],
        Rule(
            helper.__name__,
            _first_argument_jvp,
            _first_argument_vjp,
            diff=(0,),
            params=None,
            family="runtime",
        ),
    )


def _linear_in_first(helper):
    """A helper ``h(g, *rest)`` linear in ``g``: its tangent is ``h(dg, *rest)``."""

    def jvp(y, g, *rest):
        dg = rest[len(rest) // 2]
        if dg is ZERO:
            return ZERO
        return getattr(st, helper.__name__)(dg, *rest[: len(rest) // 2])

    return jvp


for helper in (
    rt.unbroadcast,
    rt.unreduce,
    rt.reshape_like,
    rt.cast_like,
    rt.broadcast_like,
    rt.cumsum_vjp,
):
    _runtime([helper], helper.__name__, _linear_in_first(helper), None)


def _dot_vjp_jvp(helper):
    """``dot_vjp_a(g, a, b)`` is linear in ``g`` and in the other operand (``b``; for
    ``dot_vjp_b``, ``a``); the operand it is the cotangent of only gives the ranks."""
    other = 2 if helper is rt.dot_vjp_a else 1

    def jvp(y, g, a, b, dg, da, db):
        f = getattr(st, helper.__name__)
        d_other = (da, db)[other - 1]
        first = ZERO if dg is ZERO else f(dg, a, b)
        if d_other is ZERO:
            return first
        second = f(g, a, d_other) if other == 2 else f(g, d_other, b)
        return first + second

    return jvp


for helper in (rt.dot_vjp_a, rt.dot_vjp_b):
    _runtime([helper], helper.__name__, _dot_vjp_jvp(helper), None, diff=(0, 1, 2))


# The tape: a gradient whose loops record values cannot be differentiated again yet.
_TAPE = unsupported(
    "tape",
    "this gradient records values on st_ad's tape (a loop overwrites values the reverse "
    "sweep needs), and derivatives of such gradients are not supported yet",
    "differentiate a loop-free formulation, or take finite differences of st_ad.grad(f)",
    diff=(0, 1, 2),
)
register([rt.new_tape, rt.reserve, rt.reserve_slots, rt.push, rt.pop, rt.pop_in_place], _TAPE)
_TAPE.family = "runtime"
