"""Pass 2 of normalisation, its calls: a call's arguments bound to the parameters of its rule
(keywords, defaults, a tuple of arrays), its primal written as numba can compile it
(``st.<impl>(...)`` where numba lacks the form), tuple results taken apart, and calls to user
functions turned into ``UserCall`` primitives. ``CallLowering`` is a mixin of
``normalize._Lowering``, whose helpers (``atom``, ``resolve``, ``where``, ``temp``) it uses."""

from __future__ import annotations

import types

import gast

from .. import ir
from ..rules import RULES, lookup
from ..syntax import ast_text, const, name, name_id
from .argument_writes import argument_changes
from .calls import (
    UserCall,
    find_cycle,
    python_source_function,
    recursion_error,
    signature_of,
)
from .source import MISSING


class CallLowering:
    """Calls, for ``normalize._Lowering``."""

    def call(self, target: str, value: gast.Call, hint: str, s, out) -> None:
        func = value.func
        obj = self.resolve(func)
        label = ast_text(func)
        if any(isinstance(a, gast.Starred) for a in value.args) or any(
            k.arg is None for k in value.keywords
        ):
            raise self.fn.error(
                s, "starred arguments are not supported", "pass arguments one by one"
            )
        if obj is None and isinstance(func, gast.Attribute):
            # a method call on a local array: x.sum(axis=0), x.reshape(n, m), x.dot(y)
            rule = lookup("." + func.attr)
            if rule is None:
                raise self.fn.error(
                    s,
                    f"the method `.{func.attr}(...)` is not supported",
                    f"use one of {_method_names()}, or the numpy function",
                )
            positional = [func.value] + list(value.args)
            if func.attr in ("reshape", "transpose") and len(value.args) > 1:
                positional = [func.value, gast.Tuple(elts=list(value.args), ctx=gast.Load())]
        else:
            rule = lookup(obj)
            if rule is None and python_source_function(obj) is not None:
                self.user_call(target, value, obj, hint, s, out)
                return
            if rule is None:
                raise self._no_rule(func, obj, s)
            positional = list(value.args)
        bound = self.bind(rule, positional, value.keywords, label, s)
        diff = rule.differentiable(len(bound))
        args = [self.atom(a, hint, s, out) if k in diff else a for k, a in enumerate(bound)]
        expr = self.primal_call(rule, value, bound, args)
        if rule.parts is not None:  # a tuple of results: its elements get the derivatives
            out.append(ir.Let(*self.where(s), target, expr))
            self.tuples[target] = (rule, args)
            return
        self._emit(target, expr, rule, args, hint, s, out)

    def user_call(self, target: str, value: gast.Call, obj: object, hint: str, s, out) -> None:
        """``target = g(...)`` for a user function ``g``: a UserCall primitive, its
        arguments bound to ``g``'s parameters (keywords and defaults resolved here)."""
        label = ast_text(value.func)
        call = self.user_call_primitive(value.func, obj, s)
        if self.cycle is None:
            self.cycle = find_cycle(self.fn.func) or []
        if self.cycle:
            raise recursion_error(self.cycle, *self.where_file(s))
        params = call.params
        if len(value.args) > len(params):
            raise self.fn.error(
                s,
                f"`{label}` takes {len(params)} argument(s), {len(value.args)} given",
                f"pass {', '.join(params)}",
            )
        given = dict(zip(params, value.args, strict=False))
        for kw in value.keywords:
            if kw.arg not in params or kw.arg in given:
                raise self.fn.error(
                    s,
                    f"`{label}` has no parameter `{kw.arg}` (or it is passed twice)",
                    f"pass {', '.join(params)}",
                )
            given[kw.arg] = kw.value
        _, defaults = signature_of(call.func)
        bound = []
        for p in params:
            if p in given:
                bound.append(given[p])
            elif p in defaults and _literal(defaults[p]):
                bound.append(const(defaults[p]))
            else:
                raise self.fn.error(
                    s,
                    f"`{label}`: no value for parameter `{p}`"
                    + (" (only number, bool and None defaults are read)" if p in defaults else ""),
                    f"pass `{p}` explicitly",
                )
        args = [self.atom(a, hint, s, out) for a in bound]
        expr = gast.Call(func=name(call.global_name), args=list(args), keywords=[])
        self._emit(target, expr, call, args, hint, s, out)

    def user_call_primitive(self, func: gast.expr, obj: object, s) -> UserCall:
        py = python_source_function(obj)
        if id(py) in self.calls:
            return self.calls[id(py)]
        try:
            params, _ = signature_of(py)
        except ValueError as exc:
            raise self.fn.error(
                s,
                f"`{ast_text(func)}` has {exc}, which st_ad cannot pass",
                "give it plain positional parameters",
            ) from None
        if isinstance(func, gast.Name):
            global_name = func.id
        else:  # other.helper: bind the compiled helper to a name of its own
            global_name = self.names.fresh(ast_text(func).replace(".", "_"))
        written = argument_changes(py).writes
        if written:
            where = f"line {written[0].line}: `{written[0].text}`"
            raise self.fn.error(
                s,
                f"`{ast_text(func)}` writes into its argument `{written[0].param}` ({where}), "
                "which st_ad cannot follow across the call",
                f"return the new values from `{ast_text(func)}` instead of writing them into "
                "an argument",
            )
        call = UserCall(obj, py, global_name, ast_text(func), params)
        self.calls[id(py)] = call
        return call

    def where_file(self, node: gast.AST) -> tuple[str, int, str]:
        return self.fn.filename, self.fn.file_line(node), self.fn.text(node).strip()

    def tuple_element(self, target: str, results: str, index: gast.expr, s, out) -> None:
        """``target = results[index]`` for the tuple of a call like np.linalg.eigh: the
        element's own rule gives its derivative."""
        line, text = self.where(s)
        rule, args = self.tuples[results]
        n = len(rule.parts)
        if not (
            isinstance(index, gast.Constant) and type(index.value) is int and -n <= index.value < n
        ):
            raise self.fn.error(
                s,
                f"the results of `{rule.name}` must be taken with a constant index",
                f"unpack them: `a, b = ...`, or index with 0 to {n - 1}",
            )
        k = index.value % n
        expr = gast.Subscript(value=name(results), slice=const(k), ctx=gast.Load())
        part = rule.parts[k]
        if part is None:
            out.append(ir.Let(line, text, target, expr))
        else:
            out.append(ir.Let(line, text, target, expr, part, list(args) + [name(results)]))

    def bind(self, rule, positional, keywords, label: str, s) -> list[gast.expr]:
        """The call's arguments in the order of the rule's parameters; a parameter left out
        is its default (``None`` unless the rule says otherwise)."""
        params = rule.params
        if params is None:  # positional only
            if keywords and rule.differentiable(len(positional)):
                raise self.fn.error(
                    s, f"`{label}` takes no keyword arguments here", "pass them by position"
                )
            return list(positional)
        parts: list[gast.expr] = []
        if rule.sequence:
            if not positional or not isinstance(positional[0], (gast.Tuple, gast.List)):
                raise self.fn.error(
                    s,
                    f"`{label}` needs its arrays written out as a tuple",
                    f"write {label}((a, b, ...))",
                )
            parts = list(positional[0].elts)
            positional = positional[1:]
            params = params[1:]
        if len(positional) > len(params):
            raise self.fn.error(
                s,
                f"`{label}` takes at most {len(params)} argument(s) in differentiated code",
                f"pass only {', '.join(params)}",
            )
        values = dict(zip(params, positional, strict=False))
        for kw in keywords:
            if kw.arg not in params or kw.arg in values:
                raise self.fn.error(
                    s,
                    f"`{label}`: the keyword argument `{kw.arg}` is not supported",
                    f"pass only {', '.join(params)}",
                )
            values[kw.arg] = kw.value
        missing = [const(rule.defaults.get(p)) for p in params]
        return parts + [values.get(p, m) for p, m in zip(params, missing, strict=True)]

    def primal_call(self, rule, value: gast.Call, bound, args) -> gast.expr:
        """The call as written, with its differentiable operands replaced by their names;
        ``st.<impl>(...)`` where numba lacks the form."""
        if rule.impl is not None:
            given = rule.params is not None and rule.impl_if in rule.params
            if rule.impl_if is None or (
                given and not _is_none(bound[rule.params.index(rule.impl_if)])
            ):
                func = gast.Attribute(value=name("st"), attr=rule.impl, ctx=gast.Load())
                return gast.Call(func=func, args=list(args), keywords=[])
        new = {id(b): a for b, a in zip(bound, args, strict=True)}

        def sub(node):
            if isinstance(node, (gast.Tuple, gast.List)) and id(node) not in new:
                elts = [sub(e) for e in node.elts]
                return type(node)(elts=elts, ctx=gast.Load())
            return new.get(id(node), node)

        func = value.func
        if isinstance(func, gast.Attribute) and self.resolve(func) is None:
            func = gast.Attribute(value=sub(func.value), attr=func.attr, ctx=gast.Load())
        keywords = [gast.keyword(arg=k.arg, value=sub(k.value)) for k in value.keywords]
        return gast.Call(func=func, args=[sub(a) for a in value.args], keywords=keywords)

    def _emit(self, target, expr, rule, args, hint, s, out) -> None:
        line, text = self.where(s)
        if target in {name_id(a) for a in args}:
            tmp = self.temp(hint)
            out.append(ir.Let(line, text, tmp, expr, rule, args))
            expr, rule, args = name(tmp), lookup("name"), [name(tmp)]
        out.append(ir.Let(line, text, target, expr, rule, args))

    def _no_rule(self, func: gast.expr, obj: object, s) -> Exception:
        label = ast_text(func)
        if obj is MISSING:
            return self.fn.error(s, f"`{label}` is not defined", "define or import it")
        if python_source_function(obj) is not None:
            return self.fn.error(
                s,
                f"`{label}` returns several values; a called function must return one value "
                "to be differentiated",
                f"split `{label}` into functions that each return one value",
            )
        py = getattr(obj, "py_func", obj)
        if isinstance(py, types.FunctionType) and py.__name__ == "<lambda>":
            return self.fn.error(
                s,
                f"`{label}` is a lambda, whose source st_ad cannot transform",
                "define it with `def` at module level",
            )
        return self.fn.error(
            s,
            f"`{label}` has no derivative rule and no Python source st_ad could read",
            f"give it a rule: `@st_ad.register_vjp({label})` on `def rule(g, result, *args)` "
            f"(and `@st_ad.register_jvp({label})` for forward mode), or use the functions "
            "listed in docs/primitives.md",
        )


def _literal(value: object) -> bool:
    return value is None or type(value) in (bool, int, float)


def _is_none(node: gast.expr) -> bool:
    return isinstance(node, gast.Constant) and node.value is None


def _method_names() -> str:
    return ", ".join(sorted(f"x{k}()" for k in RULES if isinstance(k, str) and k[:1] == "."))
