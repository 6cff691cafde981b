"""Helpers called by generated derivative code.

Generated modules import this package as ``st``. Each helper is resolved by numba at compile
time on the argument types (``numba.extending.overload``), so one generated source serves
scalars and arrays of any rank at no run-time cost.
"""
# ruff: noqa: F401  (this package is the namespace generated code calls into)

from .adjoint import (
    add_cotangent,
    broadcast_like,
    cast_like,
    keep,
    reset,
    stop_gradient,
    unbroadcast,
    unfolded,
    zeros_adj,
)
from .checks import (
    assert_differentiable,
    assert_scalar_output,
    check_cotangent,
    check_distinct,
    check_tangent,
)
from .linalg import dot_vjp_a, dot_vjp_b, inner, inner_vjp_a, inner_vjp_b, matmul
from .matrix import (
    cholesky_jvp,
    cholesky_vjp,
    det_vjp,
    eigh_values_jvp,
    eigh_values_vjp,
    eigh_vectors_jvp,
    eigh_vectors_vjp,
    inv_jvp,
    inv_vjp,
    logdet_jvp,
    lstsq_jvp,
    lstsq_vjp_a,
    lstsq_vjp_b,
    slogdet_vjp,
    solve_vjp_a,
)
from .memory import check_unshared, unshared
from .reduce import (
    amax,
    amin,
    centered,
    cumsum_vjp,
    extremum_mask,
    mean,
    norm,
    prod,
    prod_partials,
    std,
    unreduce,
    var,
)
from .shape import (
    diag_vjp,
    hstack_part,
    hstack_width,
    reshape_like,
    take_index,
    take_part,
    trace_vjp,
    vstack_height,
    vstack_part,
)
from .special import log_nonzero
from .tape import (
    new_tape,
    pop,
    pop_in_place,
    push,
    reserve,
    reserve_slots,
    trip_count,
)
