"""Array construction, copies, indexing and shape: transpose, reshape, ravel, concatenate,
stack, diag. Shape operations are linear, so each tangent applies the same operation to
``dx`` and each cotangent undoes it on ``g``."""

from __future__ import annotations

import gast
import numpy

from .registry import Rule, RuleError, no_derivative, register
from .sym import ZERO, Sym, np, st, tuple_

# Constructors: the new array's entries do not depend on the arguments (shapes, dtypes, or an
# array whose shape is taken).
no_derivative(
    [
        numpy.zeros,
        numpy.ones,
        numpy.empty,
        numpy.zeros_like,
        numpy.ones_like,
        numpy.empty_like,
        numpy.eye,
        numpy.identity,
        numpy.arange,
        numpy.linspace,
    ],
    "array constructor",
    family="shape",
    note="constructors: no derivative (their values do not depend on the arguments)",
)


def _shape_rule(keys, name, jvp, vjp, note="", **kw) -> Rule:
    return register(keys, Rule(name, jvp, vjp, diff=(0,), family="shape", note=note, **kw))


# ``y = x``: the same value under another name.
register(["name"], Rule("name", lambda y, x, dx: dx, lambda g, y, x: (g,), diff=(0,), view=True))

# ``y = x.copy()`` / ``np.copy(x)`` / ``np.ascontiguousarray(x)``.
_shape_rule(
    [".copy", numpy.copy],
    "copy",
    lambda y, x, dx: dx.method("copy"),
    lambda g, y, x: (g,),
)
_shape_rule(
    [numpy.ascontiguousarray],
    "ascontiguousarray",
    lambda y, x, dx: np.ascontiguousarray(dx),
    lambda g, y, x: (g,),
    view=True,  # x itself when it is contiguous already
)


def _by_the_generators(*args):
    """``y = x[index]`` has no rule of its own: its tangent ``dx[index]`` and its adjoint
    ``x_bar[index] += y_bar`` need the index, which the generators write themselves
    (``ForwardGenerator.let_tangent``, ``StatementAdjoints.adjoint_getitem``)."""
    raise AssertionError("getitem's derivatives are written by the generators")


# ``y = x[index]``: this entry marks the primitive (a view of ``x``, differentiable in ``x``)
register(
    ["getitem"],
    Rule(
        "getitem",
        _by_the_generators,
        _by_the_generators,
        diff=(0,),
        family="shape",
        note="x[i], slices, x[None, :]: basic indexing (integer-array indexing too)",
        view=True,
    ),
)


# transposes -----------------------------------------------------------------------------------
def _static_axes(axes: Sym) -> tuple[int, ...]:
    node = axes.node
    if isinstance(node, gast.Tuple) and all(
        isinstance(e, gast.Constant) and type(e.value) is int for e in node.elts
    ):
        return tuple(e.value for e in node.elts)
    raise RuleError(
        "the axes of a transpose must be written as a tuple of integers",
        "write e.g. np.transpose(x, (1, 0, 2))",
    )


def _transpose_jvp(y, x, axes, dx, daxes):
    return dx.T if axes is None else np.transpose(dx, axes)


def _transpose_vjp(g, y, x, axes=None):
    if axes is None:
        return g.T, None
    order = _static_axes(axes)
    inverse = tuple(sorted(range(len(order)), key=order.__getitem__))
    return np.transpose(g, tuple_(*inverse)), None


register(
    ["transpose"],
    Rule(
        "T",
        lambda y, x, dx: dx.T,
        lambda g, y, x: (g.T,),
        diff=(0,),
        family="shape",
        note="x.T",
        view=True,
    ),
)
_shape_rule(
    [numpy.transpose, ".transpose"],
    "transpose",
    _transpose_jvp,
    _transpose_vjp,
    note="axes as a literal tuple",
    view=True,
)
_shape_rule(
    [numpy.swapaxes, ".swapaxes"],
    "swapaxes",
    lambda y, x, a, b, dx, da, db: np.swapaxes(dx, a, b),
    lambda g, y, x, axis1, axis2: (np.swapaxes(g, axis1, axis2), None, None),
    view=True,
)


# reshapes -------------------------------------------------------------------------------------
def _undo_reshape(g, y, x, *rest):
    return (st.reshape_like(g, x),) + (None,) * len(rest)


_shape_rule(
    [numpy.reshape, ".reshape"],
    "reshape",
    lambda y, x, shape, dx, dshape: np.reshape(dx, shape),
    lambda g, y, x, shape: _undo_reshape(g, y, x, shape),
    view=True,
)
_shape_rule(
    [numpy.ravel, ".ravel"],
    "ravel",
    lambda y, x, dx: np.ravel(dx),
    lambda g, y, x: _undo_reshape(g, y, x),
    view=True,
)
_shape_rule(
    [".flatten"],
    "flatten",
    lambda y, x, dx: dx.method("flatten"),
    lambda g, y, x: _undo_reshape(g, y, x),
)
_shape_rule(
    [numpy.expand_dims],
    "expand_dims",
    lambda y, x, axis, dx, daxis: np.expand_dims(dx, axis),
    lambda g, y, x, axis: _undo_reshape(g, y, x, axis),
    view=True,
)
_shape_rule(
    [numpy.broadcast_to],
    "broadcast_to",
    lambda y, x, shape, dx, dshape: np.broadcast_to(dx, shape),
    lambda g, y, x, shape: (st.unbroadcast(g, x), None),
    view=True,
)


# joining arrays -------------------------------------------------------------------------------
def _tangents(parts, dparts):
    """The parts' tangents, zeros of the right shape for inactive ones."""
    return tuple_(
        *(st.zeros_adj(p) if d is ZERO else d for p, d in zip(parts, dparts, strict=True))
    )


def _joined(function, *static):
    """jvp of a join: the same join of the tangents."""

    def jvp(y, *args):
        n = len(args) // 2 - len(static)  # args: parts, static, then a tangent for each
        parts, dparts = args[:n], args[n + len(static) : 2 * n + len(static)]
        if all(d is ZERO for d in dparts):
            return ZERO
        return function(_tangents(parts, dparts), *args[n : n + len(static)])

    return jvp


def _offsets(parts, extent):
    """Where each part starts along the joined axis: 0, e(a), e(a) + e(b), ..."""
    starts, total = [], None
    for p in parts:
        starts.append(Sym(gast.Constant(value=0, kind=None)) if total is None else total)
        total = extent(p) if total is None else total + extent(p)
    return starts


def _concatenate_vjp(g, y, *args):
    *parts, axis = args
    if axis is None:
        raise RuleError("np.concatenate with axis=None is not supported", "ravel the arrays first")
    starts = _offsets(parts, lambda p: p.attr("shape")[axis.node])
    return tuple(st.take_part(g, axis, s, p) for s, p in zip(starts, parts, strict=True)) + (None,)


def _stack_vjp(g, y, *args):
    *parts, axis = args
    return tuple(st.take_index(g, axis, k, p) for k, p in enumerate(parts)) + (None,)


def _hstack_vjp(g, y, *parts):
    starts = _offsets(parts, st.hstack_width)
    return tuple(st.hstack_part(g, s, p) for s, p in zip(starts, parts, strict=True))


def _vstack_vjp(g, y, *parts):
    starts = _offsets(parts, st.vstack_height)
    return tuple(st.vstack_part(g, s, p) for s, p in zip(starts, parts, strict=True))


def _join_rule(keys, name, jvp, vjp, params, note="") -> Rule:
    rule = Rule(
        name,
        jvp,
        vjp,
        diff=(),
        params=params,
        sequence=True,
        family="shape",
        note=note,
        defaults={"axis": 0},
    )
    return register(keys, rule)


_join_rule(
    [numpy.concatenate],
    "concatenate",
    _joined(np.concatenate, "axis"),
    _concatenate_vjp,
    ("arrays", "axis"),
    note="a tuple of arrays, axis=k",
)
_join_rule([numpy.stack], "stack", _joined(np.stack, "axis"), _stack_vjp, ("arrays", "axis"))
_join_rule([numpy.hstack], "hstack", _joined(np.hstack), _hstack_vjp, ("arrays",))
_join_rule([numpy.vstack], "vstack", _joined(np.vstack), _vstack_vjp, ("arrays",))


# diagonal -------------------------------------------------------------------------------------
_shape_rule(
    [numpy.diag],
    "diag",
    lambda y, x, dx: np.diag(dx),
    lambda g, y, x: (st.diag_vjp(g, x),),
    note="vector to diagonal matrix, and matrix to its diagonal",
)
