"""Command line: ``python -m st_ad show module:function`` prints the generated source;
``python -m st_ad export module:function -o file.py`` writes a standalone module of derivative
kernels (``st_ad.export``). Errors are one ``st_ad: error: ...`` line on stderr (a
transformation error adds its location and hint), exit status 1 (2 for bad usage)."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .api import source, split_types
from .errors import StAdError
from .export import MODES, export

PROG = "python -m st_ad"


class _Failure(Exception):
    """An error to report on one line, without a traceback."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        self.exit(2, f"st_ad: error: {message} (see `{PROG} --help`)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Source-transformation automatic differentiation: show or export the "
        "derivative code st_ad generates for a function.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    show = commands.add_parser(
        "show",
        help="print the generated module of one mode",
        description="Print the generated module source (what st_ad.source returns).",
    )
    show.add_argument("target", metavar="module:function", help="e.g. mypkg.physics:energy")
    show.add_argument("--mode", choices=("reverse", "forward"), default="reverse")
    show.add_argument(
        "--types",
        metavar="TYPES",
        help='argument types, as numba writes them, e.g. "float64[::1], int64": the source '
        "generated for them (default: the type-blind module)",
    )
    export = commands.add_parser(
        "export",
        help="write a standalone module of derivative kernels",
        description="Write the derivative kernels as one module that needs numpy and numba, "
        "not st_ad (st_ad.export).",
    )
    export.add_argument("target", metavar="module:function", help="e.g. mypkg.physics:energy")
    export.add_argument("-o", "--output", required=True, metavar="FILE.py")
    export.add_argument(
        "--mode",
        choices=("reverse", "forward", "both"),
        default="both",
        help="the modes to export (default: both)",
    )
    export.add_argument(
        "--types",
        metavar="TYPES",
        action="append",
        help='argument types, as numba writes them, e.g. "float64[::1], int64": export the '
        "code generated for them, compiled for them only; repeat for several signatures "
        "(default: the type-blind kernels)",
    )
    for sub in (show, export):
        sub.add_argument(
            "--wrt",
            default="0",
            type=_wrt,
            help="argument(s) to differentiate w.r.t.: positions or parameter names, comma "
            "separated for several (a tuple; `x,` is a tuple of one) (default: 0)",
        )
    return parser


def _wrt(text: str) -> int | str | tuple[int | str, ...]:
    items = [item.strip() for item in text.split(",")]
    one_tuple = len(items) == 2 and items[0] and not items[1]  # "x,": a tuple of one
    if one_tuple:
        items = items[:1]
    if not all(items):
        raise argparse.ArgumentTypeError(f"invalid --wrt {text!r}: an empty item")
    values: list[int | str] = []
    for item in items:
        try:
            values.append(int(item))
        except ValueError:
            if not item.isidentifier():
                raise argparse.ArgumentTypeError(
                    f"invalid --wrt {text!r}: {item!r} is neither a position nor a name"
                ) from None
            values.append(item)
    return values[0] if len(values) == 1 and not one_tuple else tuple(values)


def _load(target: str) -> object:
    """The function ``module:function`` names (``function`` may be dotted); the module is
    imported with the current directory first on sys.path, as ``python -m`` does."""
    module_name, colon, attr = target.partition(":")
    if not colon or not module_name or not attr:
        raise _Failure(f"expected module:function, got {target!r}")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        if module_name.endswith(".py"):
            module = _import_file(Path(module_name))
        else:
            module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise _Failure(f"cannot import module {module_name!r}: {exc}") from None
        raise _Failure(f"importing module {module_name!r} failed: {exc!r}") from None
    except _Failure:
        raise
    except Exception as exc:  # noqa: BLE001 - the user's module failed: report it in one line
        raise _Failure(f"importing module {module_name!r} failed: {exc!r}") from None
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise _Failure(f"module {module_name!r} has no function {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise _Failure(f"{target!r} is a {type(obj).__name__}, not a function")
    return obj


def _import_file(path: Path) -> object:
    if not path.is_file():
        raise _Failure(f"cannot import module {str(path)!r}: no such file")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # usage errors (already printed) and --help
        return exc.code if isinstance(exc.code, int) else 2
    try:
        func = _load(args.target)
        if args.command == "show":
            types = split_types(args.types) if args.types else ()
            sys.stdout.write(source(func, *types, mode=args.mode, wrt=args.wrt))
        else:
            modes = MODES if args.mode == "both" else (args.mode,)
            path = export(func, args.output, modes=modes, wrt=args.wrt, signatures=args.types)
            print(f"st_ad: wrote {path}")
    except _Failure as exc:
        print(f"st_ad: error: {exc}", file=sys.stderr)
        return 1
    except StAdError as exc:
        where = str(exc).splitlines()[1:]  # file, line, source and hint, when known
        print("\n".join([f"st_ad: error: {exc.message}"] + where), file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"st_ad: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
