# ruff: noqa
"""An early return of an updated parameter inside two nested loops: the adjoint program does not compile (numba: variable 'result' is not defined).

Found by the fuzzer (seed 13 index 31), shrunk.
Today's st_ad: unsupported.

value_and_grad: unsupported: st_ad: numba could not compile the derivative code of this line: The compiler failed to analyze the bytecode. Variable 'result' is not defined.
        def f(a):
      What to do: check the argument types (numba supports this form of the call?); st_ad.source(f) shows the generated code

grad: unsupported: st_ad: numba could not compile the derivative code of this line: The compiler failed to analyze the bytecode. Variable 'result' is not defined.
        def f(a):
      What to do: check the argument types (numba supports this form of the call?); st_ad.source(f) shows the generated code

vjp: unsupported: st_ad: numba could not compile the derivative code of this line: The compiler failed to analyze the bytecode. Variable 'result' is not defined.
        def f(a):
      What to do: check the argument types (numba supports this form of the call?); st_ad.source(f) shows the generated code
"""


def f(a):
    s = 0.0
    for j in range(1):
        for l in range(1):
            a += 0.25
        for l in range(1):
            return a
    return s + a


ARGS = (0.68,)
WRT = (0,)
