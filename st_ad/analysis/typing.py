"""Types of the normalised program for one argument-type signature, from numba itself.

``infer_types(fn, namespace, argtypes)`` writes the normalised function back as plain Python
(one statement per IR statement, each at its user line), runs numba's own front end and type
inference on it, and returns the numba type of every name and of the result. The generated
derivative code is compiled by the same numba, so these are the types it will compute with,
including numba's promotions (a float32 array times a Python float, an integer division), which
a re-implementation of numpy's rules would have to track release by release.

What it costs (measured, numba 0.68.1, this machine, two fuzzer workers busy): only the
untyped pipeline and type inference run (no lowering, no LLVM), through a compiler class that
stops after ``NopythonTypeInference``. Typing the 89 names of the Lorenz RK4 benchmark takes
135 ms with numba's typing registries warm, nearly all of it numba resolving 172 binary
operators through its templates (about 1 ms each). In a fresh process, typing and then
compiling the primal cost 0.0-0.5 s more than compiling it alone (Lorenz +0.17 s, MLP +0.46 s,
logistic +0.42 s, log-det +0.15 s, Rosenbrock and Lennard-Jones +0.0 s): the overloads typing
resolves are compiled once and reused by the later compile when the flags match
(``error_model="numpy"``, as generated modules use). A generator held to twice a hand-written
gradient's compile time may want its own rules for scalar arithmetic; this pass is then the
oracle they are tested against. numba's dead branch pruning is left out, so every branch is
typed, also one whose test is constant; only where that fails is the program typed again with
it, as a real compile is: a branch numba drops for these types (``if bias is not None`` with
``bias=None``) need not type, and its names then get no type, so the code derived from them
stays type-blind. (Pruning is not the first choice: on the normalised form it can leave a
merge of a pruned branch that numba cannot type, tests/regressions.py
``param_rebound_in_loop``.)

Names: numba's SSA form gives a re-defined name versions ``s``, ``s.1``, ``s.2``; a name's type
is their unification, the type numba gives the variable where the versions merge. After
``analysis/bindings.py`` a name is one web of definitions, so the versions of a name are
definitions that reach a common read.

Assumptions: the program is normalised (``frontend/normalize.py``) and ``namespace`` holds
every global its code reads, as the generated module will (modules, literals, compiled
callees and rules); parallel loops are typed as ``range`` loops.
"""

from __future__ import annotations

import ast
import linecache
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import gast
from numba.core import compiler, errors, types
from numba.core.compiler_machinery import FunctionPass, register_pass
from numba.core.registry import cpu_target
from numba.core.typed_passes import NopythonTypeInference
from numba.core.untyped_passes import DeadBranchPrune

from .. import ir
from ..errors import StAdError, library_source
from ..runtime.checks import parse_located


@dataclass(frozen=True)
class ProgramTypes:
    """The numba type of each name of a normalised function, for one signature."""

    names: dict[str, types.Type]
    result: types.Type

    def __getitem__(self, name: str) -> types.Type:
        return self.names[name]

    def is_array(self, name: str) -> bool:
        return isinstance(self.names[name], types.Array)


def infer_types(
    fn: ir.Function, namespace: dict[str, object], argtypes: tuple[types.Type, ...]
) -> ProgramTypes:
    """The types of ``fn``'s names when called with ``argtypes``; an ``StAdError`` at the
    user's line where numba cannot type it."""
    primal = _primal_function(fn, namespace)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the real compile reports numba's warnings
            typemap, result = _typed(primal, argtypes)
    except errors.NumbaError as exc:
        raise _located(fn, exc) from None
    return ProgramTypes(_by_name(fn, typemap), types.unliteral(result))


# the normalised function as Python -------------------------------------------------------------
def _primal_function(fn: ir.Function, namespace: dict[str, object]):
    """``fn`` as a Python function whose every statement carries its user line, so that numba's
    locations (and its errors) are the user's."""
    body = _block(fn.body) + [_at(ast.Return(value=ast.Name(id=fn.result, ctx=ast.Load())), fn)]
    args = ast.arguments(
        posonlyargs=[],
        args=[ast.arg(arg=p) for p in fn.params],
        kwonlyargs=[],
        kw_defaults=[],
        defaults=[],
    )
    define = ast.FunctionDef(name=fn.name, args=args, body=body, decorator_list=[], returns=None)
    module = ast.Module(body=[_at(define, fn)], type_ignores=[])
    scope = dict(namespace)
    exec(compile(ast.fix_missing_locations(module), fn.filename, "exec"), scope)
    return scope[fn.name]


def _block(stmts: list[ir.Stmt]) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for s in stmts:
        out += [_at(node, s) for node in _statement(s)]
    return out or [ast.Pass()]


def _statement(s: ir.Stmt) -> list[ast.stmt]:
    if isinstance(s, ir.Let):
        return [ast.Assign(targets=[_name(s.target, ast.Store())], value=_expr(s.expr))]
    if isinstance(s, ir.Store):
        target = ast.Subscript(value=_name(s.array), slice=_expr(s.index), ctx=ast.Store())
        if s.op is None:
            return [ast.Assign(targets=[target], value=_expr(s.value))]
        return [ast.AugAssign(target=target, op=_OPS[s.op](), value=_expr(s.value))]
    if isinstance(s, ir.Accumulate):
        target = _name(s.target, ast.Store())
        return [ast.AugAssign(target=target, op=_OPS[s.op](), value=_expr(s.value))]
    if isinstance(s, ir.If):
        return [ast.If(test=_name(s.test), body=_block(s.body), orelse=_orelse(s.orelse))]
    if isinstance(s, ir.For):
        bounds = [_expr(e) for e in (s.start, s.stop, s.step)]
        loop = ast.For(
            target=_name(s.var, ast.Store()),
            iter=ast.Call(func=_name("range"), args=bounds, keywords=[]),
            body=_block(s.body),
            orelse=[],
        )
        return _block(s.header) + [loop] if s.header else [loop]
    if isinstance(s, ir.While):
        test = _block(s.test_body) if s.test_body else []
        body = _block(s.body) + test
        return test + [ast.While(test=_name(s.test), body=body, orelse=[])]
    if isinstance(s, ir.Break):
        return [ast.If(test=_expr(s.flag), body=[ast.Break()], orelse=[])]
    raise AssertionError(s)


def _orelse(stmts: list[ir.Stmt]) -> list[ast.stmt]:
    return _block(stmts) if stmts else []


_OPS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div}


def _expr(node: gast.expr) -> ast.expr:
    return gast.gast_to_ast(node)


def _name(n: str, ctx: ast.expr_context | None = None) -> ast.Name:
    return ast.Name(id=n, ctx=ctx or ast.Load())


def _at(node: ast.stmt, where: ir.Stmt | ir.Function) -> ast.stmt:
    """``node`` and its expressions at ``where``'s user line (nested statements are placed by
    their own IR statement)."""
    stack: list[ast.AST] = [node]
    while stack:
        sub = stack.pop()
        if "lineno" in sub._attributes:
            sub.lineno = sub.end_lineno = where.line
            sub.col_offset, sub.end_col_offset = 0, 1
        stack += [c for c in ast.iter_child_nodes(sub) if not isinstance(c, ast.stmt)]
    return node


# numba's front end and type inference ---------------------------------------------------------
@register_pass(mutates_CFG=False, analysis_only=True)
class _StopAfterTyping(FunctionPass):
    _name = "st_ad_stop_after_typing"

    def __init__(self) -> None:
        FunctionPass.__init__(self)

    def run_pass(self, state) -> bool:
        raise compiler._EarlyPipelineCompletion((state.typemap, state.return_type))


class _TypingOnly(compiler.CompilerBase):
    """numba's untyped pipeline without dead-branch pruning, then type inference, then stop."""

    prune = False

    def define_pipelines(self):
        pm = compiler.DefaultPassBuilder.define_untyped_pipeline(self.state)
        if not self.prune:
            pm.passes = [p for p in pm.passes if p[0] is not DeadBranchPrune]
        pm._finalized = False
        pm.add_pass(NopythonTypeInference, "nopython frontend")
        pm.add_pass(_StopAfterTyping, "stop after typing")
        pm.finalize()
        return [pm]


class _PruningTyping(_TypingOnly):
    """The same with numba's dead-branch pruning, as a real compile runs it."""

    prune = True


def _typed(primal, argtypes: tuple[types.Type, ...]) -> tuple[dict, types.Type]:
    """Every branch typed; where that fails, the branches numba keeps for these types (the
    first error is the one reported when both fail)."""
    try:
        return _numba_types(primal, argtypes, _TypingOnly)
    except errors.NumbaError as exc:
        try:
            return _numba_types(primal, argtypes, _PruningTyping)
        except errors.NumbaError:
            raise exc from None


def _numba_types(
    primal, argtypes: tuple[types.Type, ...], pipeline: type[compiler.CompilerBase]
) -> tuple[dict, types.Type]:
    typing_context = cpu_target.typing_context
    target_context = cpu_target.target_context
    typing_context.refresh()
    target_context.refresh()
    flags = compiler.Flags()
    flags.nrt = True
    flags.enable_ssa = True
    flags.error_model = "numpy"
    return compiler.compile_extra(
        typing_context,
        target_context,
        primal,
        tuple(argtypes),
        None,
        flags,
        {},
        pipeline_class=pipeline,
    )


def _by_name(fn: ir.Function, typemap: dict[str, types.Type]) -> dict[str, types.Type]:
    """One type per user name: the unification of its SSA versions (``s``, ``s.1``, ...)."""
    versions: dict[str, set[types.Type]] = {}
    for var, t in typemap.items():
        if not var.startswith(("$", "arg.")):
            versions.setdefault(var.split(".")[0], set()).add(types.unliteral(t))
    typing_context = cpu_target.typing_context
    out = {}
    for n in sorted(versions):
        found = sorted(versions[n], key=str)
        out[n] = typing_context.unify_types(*found) if len(found) > 1 else found[0]
        if out[n] is None:
            # numba types a merge of versions it cannot unify as an error; separate webs
            # have separate names (analysis/bindings.py), so this is st_ad's bug
            raise StAdError(
                f"internal error: the definitions of `{n}` have types "
                f"{', '.join(map(str, found))}, which do not unify",
                filename=fn.filename,
                lineno=fn.line,
                hint="please report this with the function's source",
            )
    return out


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _innermost_user_line(text: str) -> tuple[str, int] | None:
    """The innermost ``typing of ... at FILE (LINE)`` of numba's error outside numba, numpy
    and st_ad: the user's line where typing failed, maybe in a function the program calls."""
    for m in re.finditer(r"typing of [^\n]*? at (\S+\.py) \((\d+)\)", text):
        path = Path(m.group(1)).resolve()
        if not library_source(path):
            return str(path), int(m.group(2))
    return None


def _located(fn: ir.Function, exc: errors.NumbaError) -> StAdError:
    """numba's typing error as an ``StAdError`` at the user's line it names (or the one a
    located message in it names: a guard's, ``frontend/argument_writes.py``)."""
    found = parse_located(_ANSI.sub("", str(exc)))
    if found is not None:
        return StAdError(found.pop("message"), **found)
    loc = getattr(exc, "loc", None)
    line = loc.line if loc is not None and loc.filename == fn.filename else fn.line
    text = next((s.text for s in ir.walk(fn.body) if s.line == line), f"def {fn.name}(...)")
    raw = _ANSI.sub("", str(exc))
    filename = fn.filename
    inner = _innermost_user_line(raw)
    if inner is not None and inner != (fn.filename, line):  # in a function it calls
        filename, line = inner
        text = linecache.getline(filename, line).strip()
    lines = [m.strip() for m in raw.strip().splitlines()]
    message = next((m for m in lines if m and not m.startswith("Failed in")), "typing failed")
    if message.endswith("signature:"):  # numba names the call's types two lines on
        call = next((m for m in lines if m.startswith(">>> ")), None)
        message += f" {call[4:]}" if call else ""
    return StAdError(
        f"numba cannot type this statement: {message}",
        filename=filename,
        lineno=line,
        source_line=text,
        hint="st_ad differentiates what numba can compile: check that `numba.njit(f)` "
        "compiles with these argument types",
    )
