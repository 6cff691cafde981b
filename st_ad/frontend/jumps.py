"""Pass 1 of normalisation, on gast: ``return``/``break``/``continue`` become flag assignments
and guards, so that loops only exit at the end of an iteration (``if flag: break``, with the
loop's label ``st_label`` set for pass 2) and the function returns once, at its end."""

from __future__ import annotations

import copy

import gast

from ..syntax import Names, any_of, assign_at, const, located
from .source import FunctionSource


def _sets_flag(body: list[gast.stmt], flags: list[str]) -> bool:
    """Whether ``body`` ends by setting one of ``flags`` to True (a jump at its top level)."""
    if not body or not isinstance(body[-1], gast.Assign):
        return False
    last = body[-1]
    target = last.targets[0]
    return (
        isinstance(target, gast.Name)
        and target.id in flags
        and isinstance(last.value, gast.Constant)
        and last.value.value is True
    )


def _always_returns(body: list[gast.stmt]) -> bool:
    if not body:
        return False
    last = body[-1]
    if isinstance(last, gast.Return):
        return True
    if isinstance(last, gast.If):
        return _always_returns(last.body) and _always_returns(last.orelse)
    return False


class JumpLowering:
    """return/break/continue become flags and guarded blocks."""

    def __init__(self, fn: FunctionSource, names: Names) -> None:
        self.fn = fn
        self.names = names
        returns = [n for n in gast.walk(fn.tree) if isinstance(n, gast.Return)]
        body = fn.tree.body
        self.simple = len(returns) == 1 and body and body[-1] is returns[0]
        if not self.simple and not _always_returns(body):
            raise fn.error(
                fn.tree,
                "the function can reach its end without returning a value",
                "end the function with a `return` statement",
            )
        self.result = None if self.simple else names.fresh("result")
        self.returned = None if self.simple else names.fresh("returned")
        self.loop_flags: list[tuple[str, str]] = []

    def function_body(self) -> list[gast.stmt]:
        if self.simple:
            body, _ = self.block(self.fn.tree.body[:-1])
            return body + [self.fn.tree.body[-1]]
        body, _ = self.block(self.fn.tree.body)
        first = self.fn.tree.body[0]
        return [assign_at(self.returned, const(False), first)] + body

    def block(self, body: list[gast.stmt]) -> tuple[list[gast.stmt], set[str]]:
        out: list[gast.stmt] = []
        for k, s in enumerate(body):
            if isinstance(s, gast.Return):
                out.append(assign_at(self.result, s.value, s))
                out.append(assign_at(self.returned, const(True), s))
                return out, {self.returned}
            if isinstance(s, (gast.Break, gast.Continue)):
                brk, cont = self.loop_flags[-1]
                flag = brk if isinstance(s, gast.Break) else cont
                out.append(assign_at(flag, const(True), s))
                return out, {flag}
            if isinstance(s, gast.If):
                body_, jumps_b = self.block(s.body)
                orelse, jumps_o = self.block(s.orelse)
                out.append(located(gast.If(test=s.test, body=body_, orelse=orelse), s))
                jumps = jumps_b | jumps_o
                if jumps:
                    rest, jumps = self.guarded(body[k + 1 :], jumps, s)
                    return out + rest, jumps
            elif isinstance(s, (gast.For, gast.While)):
                label = f"L{self.fn.file_line(s)}"
                flags = (self.names.fresh(f"break_{label}"), self.names.fresh(f"continue_{label}"))
                self.loop_flags.append(flags)
                loop_body, jumps = self.block(s.body)
                self.loop_flags.pop()
                brk, cont = flags
                if cont in jumps:
                    loop_body = [assign_at(cont, const(False), s)] + loop_body
                exits = [f for f in (brk, self.returned) if f in jumps]
                if exits:
                    # a jump at the body's top level always leaves: numba mistypes the loop
                    # when the flag it tests is a constant in that block, so say so
                    test = const(True) if _sets_flag(loop_body, exits) else any_of(exits)
                    loop_body.append(located(gast.If(test=test, body=[gast.Break()], orelse=[]), s))
                if brk in jumps:
                    out.append(assign_at(brk, const(False), s))
                loop = copy.copy(s)
                loop.body = loop_body
                loop.st_label = label
                out.append(loop)
                if self.returned in jumps:
                    rest, jumps = self.guarded(body[k + 1 :], {self.returned}, s)
                    return out + rest, jumps
            else:
                out.append(s)
        return out, set()

    def guarded(self, rest, jumps, like) -> tuple[list[gast.stmt], set[str]]:
        """The statements after one that may jump, run only if it did not."""
        rest, jumps_rest = self.block(rest)
        if not rest:
            return [], jumps
        test = gast.UnaryOp(op=gast.Not(), operand=any_of(sorted(jumps)))
        return [located(gast.If(test=test, body=rest, orelse=[]), like)], jumps | jumps_rest
