"""Code generators: the tangent program (forward mode) and the adjoint program (reverse mode),
and the emitter that writes them to a module and compiles them with numba."""
