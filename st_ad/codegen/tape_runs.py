"""Runs of tape pushes and pops in typed code, written with one move of the tape's top.

``specialise.py`` writes each scalar push as ``tape[tape_top] = v`` then ``tape_top += 1``,
and each pop as ``tape_top -= 1`` then ``v = tape[tape_top]``. A loop that records 20 values
an iteration then spends 40 lines moving ``tape_top`` one slot at a time. A run of ``k``
pushes (comments between them allowed) becomes ``tape[tape_top + i] = v_i`` then one
``tape_top += k``; a run of pops becomes ``tape_top -= k`` then ``v_i = tape[tape_top + j]``:
the same slots, read and written in the same order.

The comments saying why each value of a run is recorded (``record v: the next iteration
overwrites it; the adjoint of line 31 reads it``) become one list when three or more give the
same overwriting statement: ``record what the next iteration overwrites, with the lines
whose adjoint reads it: k1x_t1 (31), x2 (39, 40), ...``. A hand-written adjoint says that
once, not once a value (Lorenz: 17 lines of comments become 4).
"""

from __future__ import annotations

import re
import textwrap

import gast

from ..syntax import const, name
from .build import COMMENT, aug, comment
from .tidy import is_comment

_TAPE, _TOP = "tape", "tape_top"


def _is_top(node: gast.expr) -> bool:
    return isinstance(node, gast.Name) and node.id == _TOP


def _slot(node: gast.expr) -> bool:
    """``node`` is ``tape[tape_top]``."""
    return (
        isinstance(node, gast.Subscript)
        and isinstance(node.value, gast.Name)
        and node.value.id == _TAPE
        and _is_top(node.slice)
    )


def _moves_top(s: gast.stmt, op: type) -> bool:
    """``s`` is ``tape_top += 1`` (``op`` Add) or ``tape_top -= 1`` (``op`` Sub)."""
    return (
        isinstance(s, gast.AugAssign)
        and _is_top(s.target)
        and isinstance(s.op, op)
        and isinstance(s.value, gast.Constant)
        and s.value.value == 1
    )


def _reads_tape(node: gast.AST) -> bool:
    return any(isinstance(n, gast.Name) and n.id in (_TAPE, _TOP) for n in gast.walk(node))


def _push(stmts: list[gast.stmt], k: int) -> bool:
    """``stmts[k:k + 2]`` is ``tape[tape_top] = v; tape_top += 1`` with ``v`` not the tape."""
    s = stmts[k]
    return (
        k + 1 < len(stmts)
        and isinstance(s, gast.Assign)
        and len(s.targets) == 1
        and _slot(s.targets[0])
        and not _reads_tape(s.value)
        and _moves_top(stmts[k + 1], gast.Add)
    )


def _read_slot(value: gast.expr) -> gast.Subscript | None:
    """The ``tape[tape_top]`` a pop's value reads: itself, ``int(...)`` of it (an integer
    recorded as a float) or ``... != 0.0`` (a bool)."""
    if isinstance(value, gast.Call) and len(value.args) == 1 and not value.keywords:
        value = (
            value.args[0] if isinstance(value.func, gast.Name) and value.func.id == "int" else value
        )
    elif isinstance(value, gast.Compare) and len(value.comparators) == 1:
        value = value.left
    return value if _slot(value) else None


def _pop(stmts: list[gast.stmt], k: int) -> bool:
    """``stmts[k:k + 2]`` is ``tape_top -= 1; v = tape[tape_top]`` with ``v`` a plain name."""
    if k + 1 >= len(stmts) or not _moves_top(stmts[k], gast.Sub):
        return False
    s = stmts[k + 1]
    return (
        isinstance(s, gast.Assign)
        and len(s.targets) == 1
        and isinstance(s.targets[0], gast.Name)
        and s.targets[0].id not in (_TAPE, _TOP)
        and _read_slot(s.value) is not None
    )


def _offset(k: int) -> gast.expr:
    if k == 0:
        return name(_TOP)
    return gast.BinOp(left=name(_TOP), op=gast.Add(), right=const(k))


def _run(stmts: list[gast.stmt], k: int, is_move) -> list[int]:
    """The starts of the run of moves (``_push`` or ``_pop``) from ``stmts[k]``, comments
    between them allowed."""
    starts = []
    while k < len(stmts):
        if is_move(stmts, k):
            starts.append(k)
            k += 2
        elif is_comment(stmts[k]) and starts:
            k += 1
        else:
            break
    return starts


# reverse.py's reasons for a record (``Reverse.why``)
_WHY = re.compile(
    r"record (?P<var>\S+): (?P<by>.+?) overwrites it; "
    r"(?:the adjoint of line (?P<lines>[\d, ]+) reads it|the result's adjoint reads it)$"
)
_MERGED_AT = 3  # fewer reasons read as well one per line
_WIDTH = 88  # of a merged comment's lines, indentation excluded


def _merged_reasons(comments: list[gast.stmt]) -> list[gast.stmt]:
    """``comments`` (a run's, in order) as one list when they all name the same overwriting
    statement and are at least ``_MERGED_AT``; else unchanged."""
    found = [_WHY.match(s.value.value[len(COMMENT) :]) for s in comments]
    if len(found) < _MERGED_AT or not all(found) or len({m["by"] for m in found}) > 1:
        return comments
    items = [f"{m['var']} ({m['lines'] or 'the result'})," for m in found]
    items[-1] = items[-1][:-1]
    head = f"record what {found[0]['by']} overwrites, with the lines whose adjoint reads it:"
    # non-breaking spaces keep "x2 (39, 40)" on one line
    wrapped = textwrap.wrap(" ".join(i.replace(" ", "\0") for i in items), _WIDTH)
    return [comment(text) for text in [head, *(w.replace("\0", " ") for w in wrapped)]]


def merge_tape_runs(stmts: list[gast.stmt]) -> list[gast.stmt]:
    """``stmts`` (and the blocks inside them) with each run of two or more pushes or pops
    moving the tape's top once."""
    for s in stmts:
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and inner:
                setattr(s, field, merge_tape_runs(inner))
    out: list[gast.stmt] = []
    k = 0
    while k < len(stmts):
        pushes, pops = _run(stmts, k, _push), _run(stmts, k, _pop)
        starts = pushes if len(pushes) > 1 else pops if len(pops) > 1 else []
        if not starts:
            out.append(stmts[k])
            k += 1
            continue
        end = starts[-1] + 2
        moves = set(starts) | {i + 1 for i in starts}
        count = len(starts)
        if starts is pushes:
            # the reason for the first push stands just before the run
            before = [out.pop()] if out and is_comment(out[-1]) else []
            comments = before + [stmts[i] for i in range(k, end) if i not in moves]
            merged = _merged_reasons(comments)
            out.extend(merged if merged is not comments else before)
            for i in range(k, end):
                if i in starts:
                    slot = starts.index(i)
                    stmts[i].targets[0].slice = _offset(slot)
                    out.append(stmts[i])
                elif i not in moves and merged is comments:
                    out.append(stmts[i])  # a comment
            out.append(aug(_TOP, "+", const(count)))
        else:
            out.append(aug(_TOP, "-", const(count)))
            for i in range(k, end):
                if i - 1 in starts:
                    slot = count - 1 - starts.index(i - 1)
                    _read_slot(stmts[i].value).slice = _offset(slot)
                    out.append(stmts[i])
                elif i not in moves:
                    out.append(stmts[i])
        k = end
    return out
