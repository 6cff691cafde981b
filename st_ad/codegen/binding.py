"""Bindings: the globals of a generated module that cannot be written as source (compiled
user functions, user rules, callees' derivatives). Each says how to find its object again,
so that a module read back from the on-disk cache is bound without regenerating it."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Binding:
    """``name`` in the generated module is bound to:

    - kind "global": the user's global ``path`` (a plain function is compiled with numba);
    - kind "primal": the compiled primal of the user function the caller names ``path``;
    - kind "rule": a compiled user rule of the primitive ``path``;
    - kind "callee": the ``entry`` function of the ``mode`` transform w.r.t. ``wrt`` of the
      user function ``path`` (its derivative, generated once per activity pattern).
    """

    kind: str
    name: str
    path: str
    mode: str = ""
    wrt: int | tuple[int, ...] | None = None
    entry: str = ""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Binding:
        wrt = data.get("wrt")
        if isinstance(wrt, list):
            data = dict(data, wrt=tuple(wrt))
        return cls(**data)
