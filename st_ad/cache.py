"""The on-disk cache: generated modules, and an index from transform keys to them.

A transform's key is computed *before* any parsing or code generation, from

- st_ad itself (the source of every module of the package: version, rules, generators and
  runtime helpers),
- the mode and ``wrt``,
- the source and place (file, first line) of the function and of every user function it
  reaches through calls, and what each of them reads from its module: constants (by
  value), arrays (by data), rules registered for the functions it calls (by the source of
  the rule).

A hit imports the generated module straight away, so a second process pays neither code
generation nor (through numba's own ``cache=True`` files next to the module) compilation.

Layout under ``cache_dir()`` (``ST_AD_CACHE_DIR``, else the user's cache directory)::

    generated/<function>_<mode>_<hash>.py   content-addressed generated modules
    index/<key>.json                        key -> module file, its sha256, its bindings

Every file is written to a unique temporary name and renamed into place, so concurrent
processes never see half a file; a module whose text no longer matches the sha256 in its
index entry (truncated, edited) is regenerated rather than imported.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

from numba.core.caching import FunctionCache

from ._version import VERSION
from .codegen.emit import GENERATED_PACKAGE
from .errors import StAdError
from .frontend.digest import update_with_dependencies
from .frontend.source import python_function

# How often this process generated a module and how often it reused one from disk.
STATS = {"generated": 0, "reused": 0}
# How often numba's cache files of a generated function were damaged and dropped.
REPAIRED = {"numba": 0}


def cache_dir() -> Path:
    root = os.environ.get("ST_AD_CACHE_DIR")
    if root:
        return Path(root)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~")
    elif sys.platform == "darwin":
        base = os.path.join(os.path.expanduser("~"), "Library", "Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "st_ad"


def usable_dir() -> Path:
    """``cache_dir()``, or an StAdError saying why it cannot hold the cache."""
    root = cache_dir()
    if root.is_dir():
        return root
    blocked = next((p for p in (root, *root.parents) if p.exists() and not p.is_dir()), None)
    if blocked is not None:
        raise StAdError(
            f"the st_ad cache directory {root} cannot be created: {blocked} is a file",
            hint="point ST_AD_CACHE_DIR at a directory (it is created if missing), or unset it "
            "to use the default",
        )
    return root


@functools.cache
def fingerprint() -> str:
    """A hash of st_ad's own source: any change to the compiler, a rule or a runtime helper
    gives every transform a new key (numba would otherwise run stale machine code)."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(VERSION.encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _digest(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def transform_key(func: object, wrt: object, mode: str) -> str:
    digest = hashlib.sha256(f"{fingerprint()}|{mode}|{wrt!r}".encode())
    update_with_dependencies(digest, python_function(func))
    return digest.hexdigest()[:32]


def signature_key(transform: str, signature: str, entry: str) -> str:
    """The key of one entry point of a transform for one argument-type signature."""
    return _digest(f"{transform}|{entry}|{signature}")[:32]


def atomic_write(path: Path, text: str) -> None:
    """Write then rename: readers see the old file or the whole new one, never a part."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise StAdError(
            f"cannot write to the st_ad cache directory {cache_dir()}: {exc}",
            hint="point ST_AD_CACHE_DIR at a writable directory",
        ) from None
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_module(source: str, stem: str) -> Path:
    """The content-addressed file of a generated module (written if missing or damaged)."""
    digest = _digest(fingerprint() + source)[:16]
    path = usable_dir() / "generated" / f"{stem}_{digest}.py"
    if not _holds(path, source):
        atomic_write(path, source)
    return path


def _holds(path: Path, source: str) -> bool:
    try:
        return path.read_text() == source
    except (OSError, UnicodeDecodeError):
        return False


def write_entry(key: str, module: Path, source: str, bindings: list[dict]) -> None:
    entry = {"module": module.name, "sha256": _digest(source), "bindings": bindings}
    atomic_write(cache_dir() / "index" / f"{key}.json", json.dumps(entry, indent=1))


def read_entry(key: str) -> tuple[Path, list[dict]] | None:
    """The module file and bindings stored under ``key``, if both are intact."""
    root = usable_dir()
    try:
        entry = json.loads((root / "index" / f"{key}.json").read_text())
        module = root / "generated" / entry["module"]
        if _digest(module.read_bytes()) != entry["sha256"]:
            return None  # truncated or edited: regenerate
        return module, list(entry["bindings"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


# numba's cache files -------------------------------------------------------------------------
class _RecoveringCache(FunctionCache):
    """numba's cache of a generated function, where a damaged index or data file (truncated,
    overwritten) is a cache miss: the files are dropped and the function recompiled (and
    saved again), instead of failing every later process with an UnpicklingError."""

    def load_overload(self, sig, target_context):
        try:
            return super().load_overload(sig, target_context)
        except Exception:  # anything unpickling or rebuilding a damaged file raises
            self.drop_files()
            REPAIRED["numba"] += 1
            return None

    def drop_files(self) -> None:
        files = self._cache_file
        pattern = files._data_name_pattern.replace("{number:d}", "*")
        for path in [Path(files._index_path), *Path(self._cache_path).glob(pattern)]:
            try:
                path.unlink()
            except OSError:
                pass


def recover_damaged_numba_files(dispatcher: object) -> None:
    """Make numba's cache of ``dispatcher`` and of the generated dispatchers it calls
    (callee derivatives, found in its module's globals) recover from damaged files."""
    stack, seen = [dispatcher], set()
    while stack:
        d = stack.pop()
        if id(d) in seen:
            continue
        seen.add(id(d))
        if type(getattr(d, "_cache", None)) is FunctionCache:
            d._cache.__class__ = _RecoveringCache
        namespace = getattr(getattr(d, "py_func", None), "__globals__", {})
        stack += [
            v
            for v in namespace.values()
            if hasattr(v, "py_func")
            and getattr(v.py_func, "__module__", "").startswith(GENERATED_PACKAGE + ".")
        ]
