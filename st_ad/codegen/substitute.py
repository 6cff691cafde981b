"""Forward substitution in typed code: a scalar copy, or a scalar value read once, is written
into the expressions that read it.

The generators emit three-address code, one primitive per statement (``x2_t1 = half * k1x``
then ``x2 = x + x2_t1``) and one name per adjoint (``z_t1_bar = z_t8_bar``), where a person
writes ``x2 = x + half * k1x`` and no copies. Run on one signature's code after ``tidy.py``,
this pass substitutes, in one block (a statement list):

* a copy ``a = b`` of a scalar name into every later read of ``a``, where no statement between
  the copy and the last read stores ``b``;
* a side-effect-free scalar value ``t = e`` read once, into that read, where the reading
  statement is a later simple statement of the same block (never into a loop: the value would
  be computed once per iteration), no statement between stores a name ``e`` reads, and, if
  ``e`` indexes an array or calls a function, none between stores into an array or calls
  anything but numpy and math.

Values stay under the ``# line N`` comment of the line they come from: nothing moves past
one, except copies into a temporary (``z_t1_bar = z_bar``), whose name tells the reader
nothing.

A name qualifies when no other binding can reach the reads substituted: it is bound once in
the whole function, or it is *block-local*, every read of it preceded in its own block by a
binding with no other binding between (a value the reverse sweep recomputes is bound once in
each sweep, and each binding is read only after it, in its block). The inserted expression
is the same tree, evaluated once as before: the numbers are those of the three-address code,
bit for bit.
"""

from __future__ import annotations

import copy
import re
from collections import Counter

import gast

from .tidy import is_pure, line_comment

_SIMPLE = (gast.Assign, gast.AugAssign, gast.Return, gast.Expr)
_TEMPORARY = re.compile(r"_t\d+(_bar)?$")  # the normaliser's names for subexpressions


def _loads(node: gast.AST) -> Counter:
    return Counter(
        n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
    )


def _read_names(s: gast.stmt) -> set[str]:
    """The names ``s`` reads, the target of an update (``z += y`` reads ``z``) included."""
    names = set(_loads(s))
    if isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Name):
        names.add(s.target.id)
    return names


def _stores(node: gast.AST) -> set[str]:
    return {
        n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
    }


def _touches_memory(node: gast.AST, scalars: set[str]) -> bool:
    """``node`` may change an array: a store into one, an in-place update of a non-scalar, a
    re-binding of a non-scalar name, or a call that is not numpy's or math's."""
    for n in gast.walk(node):
        if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store):
            return True
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store) and n.id not in scalars:
            return True
        if isinstance(n, gast.Call) and not is_pure(n):
            return True
    return False


def name_of(s: gast.Assign) -> str | None:
    target = s.targets[0] if len(s.targets) == 1 else None
    return target.id if isinstance(target, gast.Name) else None


class _Replace(gast.NodeTransformer):
    def __init__(self, target: str, value: gast.expr) -> None:
        self.target, self.value = target, value

    def visit_Name(self, node: gast.Name) -> gast.expr:
        if node.id == self.target and isinstance(node.ctx, gast.Load):
            return copy.deepcopy(self.value)
        return node


def _exposed_reads(stmts: list[gast.stmt], exposed: set[str]) -> None:
    """Add to ``exposed`` the names read somewhere in ``stmts`` (and the blocks inside them)
    where the nearest binding before the read in the read's own block does not certainly
    reach it: no binding precedes the read in its block, or a statement between binds the
    name inside a nested block (it may or may not run), or a ``while`` test reads a name its
    body binds (the test runs again after the body)."""
    bound: set[str] = set()  # bound earlier in this block, by simple statements since
    for s in stmts:
        if isinstance(s, _SIMPLE):
            exposed |= _read_names(s) - bound
            bound |= _stores(s)
            continue
        head = s.test if isinstance(s, (gast.If, gast.While)) else getattr(s, "iter", None)
        read = set(_loads(head)) if head is not None else set()
        exposed |= read - bound
        if isinstance(s, gast.While):
            exposed |= read & _stores(s)
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list):
                _exposed_reads(inner, exposed)
        bound -= _stores(s)


def block_local(fn: gast.FunctionDef) -> set[str]:
    """The names every read of which follows a binding in the read's own block with no other
    binding between: each binding's value reaches only the reads after it in its block, up to
    the next binding."""
    exposed: set[str] = set()
    _exposed_reads(fn.body, exposed)
    return set(_stores(fn)) - exposed - {a.id for a in fn.args.args}


class Substitute:
    def __init__(self, fn: gast.FunctionDef, scalars: set[str]) -> None:
        params = {a.id for a in fn.args.args}
        stored = Counter(
            n.id
            for n in gast.walk(fn)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
        )
        self.scalars = scalars
        self.once = {n for n, k in stored.items() if k == 1 and n in scalars} - params
        self.local = block_local(fn) & scalars
        self.reads = _loads(fn)

    def block(self, stmts: list[gast.stmt]) -> None:
        for s in stmts:
            for field in ("body", "orelse"):
                inner = getattr(s, field, None)
                if isinstance(inner, list):
                    self.block(inner)
        k = 0
        while k < len(stmts):
            s = stmts[k]
            if self._renamed(stmts, k) or self._substituted(stmts, k):
                del stmts[k]
            elif isinstance(s, gast.Assign) and _is_copy(s, name_of(s), name_of(s)):
                del stmts[k]  # `b = b`, what a copy back becomes
                self.reads[name_of(s)] -= 1
            else:
                k += 1

    def _renamed(self, stmts: list[gast.stmt], i: int) -> bool:
        """For a copy ``a = b`` of a temporary ``b`` bound earlier in the block: ``b`` renamed
        ``a`` from its binding on (``k4x_bar = x_t3_bar`` after ``x_t3_bar = x_bar * c``
        becomes ``k4x_bar = x_bar * c``), if ``a`` is read only after the copy."""
        a = name_of(stmts[i]) if isinstance(stmts[i], gast.Assign) else None
        value = stmts[i].value if a is not None else None
        if not (isinstance(value, gast.Name) and _TEMPORARY.search(value.id)):
            return False
        b = value.id
        if a not in self.once or b not in self.once or a == b:
            return False
        binding = next(
            (d for d in range(i) if isinstance(stmts[d], gast.Assign) and name_of(stmts[d]) == b),
            None,
        )
        if binding is None:
            return False
        reads_a = sum(_loads(s)[a] for s in stmts[i + 1 :])
        reads_b = sum(_loads(s)[b] for s in stmts[binding + 1 :])
        if reads_a != self.reads[a] or reads_b != self.reads[b]:
            return False
        stmts[binding].targets[0].id = a
        rename = _Replace(b, gast.Name(id=a, ctx=gast.Load(), annotation=None, type_comment=None))
        for s in stmts[binding + 1 :]:
            rename.visit(s)
        self.reads[a] += self.reads[b] - 1  # the copy, now `a = a`, goes
        self.reads[b] = 0
        self.once.discard(b)
        return True

    def _candidate(self, s: gast.stmt) -> tuple[str, gast.expr] | None:
        if not (isinstance(s, gast.Assign) and len(s.targets) == 1):
            return None
        target = s.targets[0]
        if not (isinstance(target, gast.Name) and target.id in self.once | self.local):
            return None
        return (target.id, s.value) if is_pure(s.value) else None

    def _substituted(self, stmts: list[gast.stmt], i: int) -> bool:
        """Substitute the value ``stmts[i]`` binds into its reads, if it qualifies."""
        found = self._candidate(stmts[i])
        if found is None:
            return False
        t, value = found
        later = stmts[i + 1 :]
        reads = self.reads[t]
        if t not in self.once:  # block-local: this binding is read up to the next one
            end = next((k for k, s in enumerate(later) if t in _stores(s)), len(later))
            if end < len(later) and t in _read_names(later[end]):
                return False  # `t = t + 1.0`, `t += 1.0`: the next binding reads this one
            later = later[:end]
            reads = sum(_loads(s)[t] for s in later)
        uses = [k for k, s in enumerate(later) if _loads(s)[t]]
        if not uses or sum(_loads(s)[t] for s in later) != reads:
            return False
        # what the reader sees stays under its line's comment; a temporary's copy may cross
        crosses = any(line_comment(s) for s in later[: uses[-1]])
        if crosses and not (isinstance(value, gast.Name) and _TEMPORARY.search(t)):
            return False
        if isinstance(value, gast.Name):
            if value.id not in self.scalars or not _copy_holds(t, value.id, later, uses[-1]):
                return False
        elif not self._single_use_holds(t, value, later, uses, reads):
            return False
        for k in uses:
            _Replace(t, value).visit(later[k])
        for n, count in _loads(value).items():  # a copy's source is read once per use now
            self.reads[n] += count * (len(uses) - 1)
        self.reads[t] -= reads
        return True

    def _single_use_holds(
        self, t: str, value: gast.expr, later: list[gast.stmt], uses: list[int], reads: int
    ) -> bool:
        if reads != 1 or len(uses) != 1:
            return False
        use = later[uses[0]]
        if not isinstance(use, _SIMPLE):
            return False
        between = later[: uses[0]]
        reads = set(_loads(value))
        if any(reads & _stores(s) for s in between):
            return False
        reads_memory = any(
            isinstance(n, (gast.Subscript, gast.Attribute, gast.Call)) for n in gast.walk(value)
        )
        if reads_memory and any(_touches_memory(s, self.scalars) for s in between):
            return False
        # a read in the target of an assignment runs after its value: that value must not
        # change what ``value`` reads
        if isinstance(use, (gast.Assign, gast.AugAssign)):
            targets = use.targets if isinstance(use, gast.Assign) else [use.target]
            in_target = any(_loads(x)[t] for x in targets)
            if in_target and not is_pure(use.value):
                return False
        return True


def _copy_holds(copy: str, source: str, later: list[gast.stmt], last: int) -> bool:
    """No statement up to the last read of ``copy`` stores ``source``, except the copy back
    ``source = copy`` (it stores the value ``source`` has) and the last read itself
    (``b = b + a``: its value is read before the store)."""
    for k, s in enumerate(later[: last + 1]):
        if source in _stores(s) and not _is_copy(s, source, copy):
            simple = isinstance(s, (gast.Assign, gast.AugAssign))
            if not (k == last and simple and source not in _stores(s.value)):
                return False
    return True


def _is_copy(s: gast.stmt, target: str, source: str) -> bool:
    """``s`` is ``target = source``."""
    return (
        isinstance(s, gast.Assign)
        and len(s.targets) == 1
        and isinstance(s.targets[0], gast.Name)
        and s.targets[0].id == target
        and isinstance(s.value, gast.Name)
        and s.value.id == source
    )


def substitute(fn: gast.FunctionDef, scalars: set[str]) -> None:
    """Substitute copies and single-read values of ``fn``'s scalars, in place."""
    Substitute(fn, scalars).block(fn.body)
