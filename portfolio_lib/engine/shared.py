"""Load and aggregate once for many notebooks: the report's shared cache.

A report runs eight notebooks on the same files; each would parse the transaction log and
aggregate it again (8 s each on a million-line CSV). When the environment variable
:data:`SHARED_CACHE_ENV` names a folder (the report sets it to a folder of its run),
:func:`load_once` keeps the loaded tables and the aggregates there, keyed by the files'
content and the parameters that change them (analysis date, unknown customers): the first
notebook computes and saves them, the others read them (a lock makes a notebook that starts
meanwhile wait instead of computing the same thing). The data-quality warnings of the load
are saved with them and raised again for each reader, so every page shows its notes.

A large table only some notebooks read (the transaction log: millions of rows of text) is
kept apart as a :class:`SharedFrame`: saved once in its own file, read only by the notebooks
that ask for it, so the others neither spend the time nor hold the memory.

Without the variable, nothing is cached: JupyterLab and the app load as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["SHARED_CACHE_ENV", "SharedFrame", "content_key", "load_once", "shared_folder"]

SHARED_CACHE_ENV = "PORTFOLIO_SHARED_CACHE"
_CHUNK = 1 << 22  # 4 MiB reads while hashing
_T = TypeVar("_T")


def content_key(files: Sequence[Path | None], *parameters: object) -> str:
    """A key for the content of ``files`` (None for a table not given) and ``parameters``."""
    digest = hashlib.blake2b(digest_size=20)
    for path in files:
        digest.update(b"\0file\0")
        if path is None or not Path(path).is_file():  # loading will say what is missing
            digest.update(str(path).encode())
            continue
        with open(path, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
    digest.update(repr(parameters).encode())
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (none where ``fcntl`` is missing: Windows)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def shared_folder() -> Path | None:
    """The report's shared cache folder (:data:`SHARED_CACHE_ENV`), or None outside a report."""
    folder = os.environ.get(SHARED_CACHE_ENV, "")
    return Path(folder) if folder else None


class SharedFrame:
    """A table saved once in the shared cache, read again only where it is needed.

    Pickling the handle pickles its path, not the table: a cached result holding it stays
    small, and :meth:`read` gives the table back exactly (dtypes, missing values, ``attrs``).
    """

    def __init__(self, frame: Any, folder: Path) -> None:
        import tempfile

        handle, name = tempfile.mkstemp(prefix="table-", suffix=".frame", dir=folder)
        self.path = Path(name)
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(frame, stream, protocol=pickle.HIGHEST_PROTOCOL)

    def read(self) -> Any:
        with self.path.open("rb") as stream:
            return pickle.load(stream)


def load_once(
    files: Sequence[Path | None], parameters: Sequence[object], compute: Callable[[], _T]
) -> _T:
    """``compute()``, or its result saved by an earlier call with the same files and parameters.

    Only when :data:`SHARED_CACHE_ENV` names a folder; otherwise ``compute()``. Warnings
    raised by ``compute`` are raised again on each cached read.
    """
    folder = os.environ.get(SHARED_CACHE_ENV, "")
    if not folder:
        return compute()
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    key = content_key(files, *parameters)
    saved = root / f"{key}.pickle"
    with _locked(root / f"{key}.lock"):
        if saved.is_file():
            with saved.open("rb") as stream:
                result, caught = pickle.load(stream)
            _warn_again(caught)
            return result
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            result = compute()
        caught = [_frozen(record.message) for record in records]
        partial = saved.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as stream:
            pickle.dump((result, caught), stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, saved)
    _release_memory()
    _warn_again(caught)
    return result


def _release_memory() -> None:
    """Give the memory of what the computation dropped (the raw log, the parser's buffers)
    back to the system: the kernel lives on for the next notebooks, and glibc keeps freed
    memory for the process unless asked."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    name = ctypes.util.find_library("c")
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL(name).malloc_trim(0)


def _frozen(message: Warning | str) -> tuple[type, tuple, dict[str, Any]]:
    """A warning as (class, args, attributes): warnings whose ``__init__`` takes other
    arguments than their ``args`` (the bilingual data-quality ones) cannot be unpickled."""
    if isinstance(message, Warning):
        return type(message), message.args, dict(message.__dict__)
    return UserWarning, (str(message),), {}


def _warn_again(caught: Sequence[tuple[type, tuple, dict[str, Any]]]) -> None:
    for category, args, attributes in caught:
        message = category.__new__(category)
        message.args = args
        message.__dict__.update(attributes)
        warnings.warn(message, stacklevel=3)
