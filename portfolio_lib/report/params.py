"""The parameters of a report run: which notebooks, what each declares, what each receives.

Parameters come from a YAML file (:func:`read_config`), from ``--set KEY=VALUE``
(:func:`parse_assignments`) and from the command-line flags. :func:`declared_parameters` reads
each notebook's ``parameters`` cell; :func:`resolve_parameters` merges the sources, refuses
names no notebook declares and checks data paths, dates, languages and types before anything
runs. :func:`report_parameters` is what one notebook receives. :class:`RunPlan` holds
everything decided before the first notebook runs.
"""

from __future__ import annotations

import ast
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.engine.backends import engine_kind
from portfolio_lib.engine.sources import is_table_source, mask, parse_source, without_password
from portfolio_lib.report.execute import DEFAULT_KERNEL, DEFAULT_TIMEOUT

__all__ = [
    "DATA_PARAMETERS",
    "NOTEBOOK_PATTERN",
    "REPORT_OUTPUTS",
    "ReportError",
    "RunPlan",
    "declared_parameters",
    "find_notebooks",
    "parameters_for",
    "parse_assignments",
    "read_config",
    "report_parameters",
    "resolve_parameters",
]

NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"
DATA_PARAMETERS = ("TRANSACTIONS", "CUSTOMERS", "COSTS")
# Files a notebook writes: in a report the report names them (inside its folder, one per notebook).
# The hand-outs a report writes next to each page, by parameter: <notebook><suffix>.xlsx.
REPORT_OUTPUT_SUFFIXES = {"EXCEL_OUTPUT": "", "PORTFOLIO_EXCEL_OUTPUT": "-portefeuilles"}
REPORT_OUTPUTS = tuple(REPORT_OUTPUT_SUFFIXES)


class ReportError(Exception):
    """A problem with the command line, the configuration or the data paths (exit status 2)."""


@dataclass
class RunPlan:
    """Everything decided before the first notebook runs."""

    notebooks: list[Path]
    declared: dict[str, dict[str, Any]]  # notebook file name -> {PARAMETER: default}
    parameters: dict[str, Any]  # the given parameters, validated, paths absolute
    output_root: Path
    date: dt.date
    kernel: str = DEFAULT_KERNEL
    timeout: int | None = DEFAULT_TIMEOUT
    config: Path | None = None
    started: dt.datetime = field(default_factory=dt.datetime.now)
    jobs: int = 1  # notebooks run at once

    @property
    def lang(self) -> str:
        return str(self.effective_parameters().get("LANG") or DEFAULTS["lang"])

    def effective_parameters(self) -> dict[str, Any]:
        """Given values, completed with the notebooks' defaults (first notebook wins)."""
        values: dict[str, Any] = {}
        for defaults in self.declared.values():
            for name, default in defaults.items():
                values.setdefault(name, default)
        values.update(self.parameters)
        return dict(sorted(values.items()))


def find_notebooks(
    notebooks_dir: str | os.PathLike, names: Sequence[str] | None = None
) -> list[Path]:
    """The notebooks to run: every ``NN_*.ipynb`` in name order, or the ones named.

    A name may be a path, a file name (``01_weight.ipynb``), a stem (``01_weight``) or the
    number prefix (``01``). ``app.ipynb`` and other unnumbered notebooks run only when named.
    """
    folder = Path(notebooks_dir)
    if not folder.is_dir():
        raise ReportError(f"notebooks folder not found: {folder}")
    numbered = sorted(folder.glob(NOTEBOOK_PATTERN))
    if not names:
        if not numbered:
            raise ReportError(f"no notebook named like {NOTEBOOK_PATTERN} in {folder}")
        return numbered
    chosen: list[Path] = []
    for name in names:
        path = _find_notebook(folder, numbered, name)
        if path not in chosen:
            chosen.append(path)
    return chosen


def _find_notebook(folder: Path, numbered: list[Path], name: str) -> Path:
    as_path = Path(name).expanduser()
    if as_path.suffix == ".ipynb" and as_path.is_file():
        return as_path.resolve()
    for candidate in (folder / name, folder / f"{name}.ipynb"):
        if candidate.is_file():
            return candidate
    by_number = [path for path in numbered if path.name.split("_", 1)[0] == name]
    if len(by_number) == 1:
        return by_number[0]
    available = ", ".join(path.stem for path in numbered) or "none"
    raise ReportError(f"notebook {name!r} not found in {folder}. Available: {available}")


def read_config(path: str | os.PathLike) -> dict[str, Any]:
    """The parameters of a YAML file: a mapping ``name: value`` (names in any case)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ReportError(f"configuration file not found: {path}")
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ReportError(f"{path}: not valid YAML ({err})") from err
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ReportError(
            f"{path}: expected 'name: value' lines (a YAML mapping), found a "
            f"{type(content).__name__}. Example:\ntransactions: data/ventes.csv\nlang: en"
        )
    return content


def parse_assignments(items: Sequence[str]) -> dict[str, Any]:
    """``["a_cut=0.7", "lang=en"]`` -> ``{"a_cut": 0.7, "lang": "en"}``.

    Values are read as YAML (numbers, booleans, lists); an empty value is the empty string.
    """
    values: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ReportError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text  # not YAML: keep the text as typed
        values[key.strip()] = value
    return values


def declared_parameters(notebooks: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """For each notebook file name, the parameters its ``parameters`` cell declares.

    Values are the defaults as Python literals when they are literals (else their source).
    The cell is read with Python's parser: ``papermill.inspect_notebook`` drops every line
    with two ``=`` signs, comments included (``AS_OF = ""  # "" = last date``); it is only
    used for cells Python cannot parse (IPython magics).
    """
    import nbformat

    declared = {}
    for path in notebooks:
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception as err:  # an unreadable notebook must not look like "no parameters"
            raise ReportError(f"{path}: cannot read the notebook ({err})") from err
        cell = next(
            (c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])), None
        )
        declared[path.name] = _cell_parameters(cell.source) if cell is not None else {}
    return declared


def _cell_parameters(source: str) -> dict[str, Any]:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython syntax: papermill's line-by-line reading
        from papermill.translators import PythonTranslator

        found = PythonTranslator.inspect({"source": source})
        return {parameter.name: _literal(parameter.default) for parameter in found}
    parameters: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names = [target.id for target in node.targets if isinstance(target, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            names = [node.target.id] if isinstance(node.target, ast.Name) else []
        else:
            continue
        default = _literal(ast.get_source_segment(source, node.value) or "")
        for name in names:
            parameters[name] = default
    return parameters


def _literal(source: str) -> Any:
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return source


def _canonical_name(key: Any) -> str:
    return str(key).strip().replace("-", "_").upper()


def _plain_value(value: Any) -> Any:
    """YAML dates become ISO text: notebooks take dates as "YYYY-MM-DD" strings."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain_value(item) for item in value]
    if isinstance(value, list):
        return [_plain_value(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain_value(v) for k, v in value.items()}
    return value


def resolve_parameters(
    sources: Sequence[tuple[str, Mapping[str, Any]]],
    declared: Mapping[str, Mapping[str, Any]],
    *,
    cwd: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Merge, check and normalise the parameters given for a run.

    Parameters
    ----------
    sources : sequence of (description, mapping)
        From lowest to highest priority, e.g. ``[("params.yaml", {...}), ("--set", {...}),
        ("flags", {...})]``. Names are matched case-insensitively (``as_of``, ``AS-OF``).
    declared : mapping
        :func:`declared_parameters` of the notebooks to run.
    cwd : path, optional
        Folder relative data paths are taken from (default: the current folder).

    Returns
    -------
    dict
        ``{PARAMETER: value}`` with upper-case names, data paths absolute and checked, dates
        as ``"YYYY-MM-DD"``, values matching the type of the notebooks' defaults. Once a
        data file is given, the data files not given are ``""`` (none): a user's run never
        reads the notebooks' default data, the sample.

    Raises
    ------
    ReportError
        Unknown names (with the known ones), missing data files, customers or costs without
        transactions, bad date, language or type, an ``EXCEL_OUTPUT`` (the report names the
        hand-outs itself).
    """
    base = Path(cwd) if cwd is not None else Path.cwd()
    known = {name: default for params in declared.values() for name, default in params.items()}
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    unknown: list[str] = []
    for description, values in sources:
        seen: dict[str, str] = {}
        for key, value in values.items():
            name = _canonical_name(key)
            if name in seen:
                raise ReportError(
                    f"{description}: {seen[name]!r} and {key!r} name the same parameter"
                )
            seen[name] = str(key)
            if name not in known:
                unknown.append(f"{key} (from {description})")
                continue
            merged[name] = _plain_value(value)
            origin[name] = description
    if unknown:
        raise ReportError(
            f"unknown parameter(s): {', '.join(unknown)}. The notebooks declare: "
            f"{', '.join(sorted(known))}"
        )
    for name, value in merged.items():
        merged[name] = _check_value(name, value, known[name], origin[name], base)
    return _own_data_only(merged, origin, known)


def _own_data_only(
    merged: dict[str, Any], origin: Mapping[str, str], known: Mapping[str, Any]
) -> dict[str, Any]:
    """Once the user gives a data file, the notebooks' default data (the sample) is never read.

    The transaction log is then required, and the optional files not given mean "none":
    the client's transactions must not be joined to the sample's customers or costs.
    """
    if "TRANSACTIONS" in merged and not merged["TRANSACTIONS"]:
        raise ReportError(
            f"TRANSACTIONS (from {origin['TRANSACTIONS']}) is empty: every analysis needs the "
            "transaction log. Give its path, or leave it out to run on the sample data."
        )
    files = [name for name in DATA_PARAMETERS if merged.get(name)]
    if not files:
        return merged  # no data file given: the notebooks' own (the sample), said on the index
    if "TRANSACTIONS" in known and "TRANSACTIONS" not in merged:
        given = ", ".join(f"{name} (from {origin[name]})" for name in files)
        raise ReportError(
            f"{given} given without a transaction log: the notebooks would read the sample's "
            "transactions with your files. Give the transaction log too (--transactions, or "
            "transactions: in the configuration file)."
        )
    for name in DATA_PARAMETERS:
        if name in known:
            merged.setdefault(name, "")  # not given: none, never the sample's
    return merged


def _check_value(name: str, value: Any, default: Any, origin: str, base: Path) -> Any:
    where = f"{name} (from {origin})"
    if name in DATA_PARAMETERS and is_table_source(value):
        return _database_source(value, where)
    if name in DATA_PARAMETERS:
        return _resolve_data_path(value, where, base)
    if name == "ENGINE" and value not in (None, ""):
        return _check_engine(value, where)
    if name in REPORT_OUTPUTS:
        return _check_report_output(name, value, where)
    if name == "AS_OF" and value not in (None, ""):
        try:
            return dt.date.fromisoformat(str(value)[:10]).isoformat()
        except ValueError:
            raise ReportError(f"{where}: {value!r} is not a date; write it as YYYY-MM-DD") from None
    if name == "LANG" and value not in i18n.LANGS:
        raise ReportError(
            f"{where}: language must be one of {', '.join(i18n.LANGS)}, got {value!r}"
        )
    return _match_default_type(value, default, where)


def _check_report_output(name: str, value: Any, where: str) -> str:
    """Refuse any file name for a hand-out: the report names each one itself.

    In a report each notebook's Excel hand-out is ``<notebook>.xlsx`` next to its page
    (:func:`report_parameters`): one name per notebook (05 and 07 share the parameter, and
    one given name would let the alerts overwrite the RFM hand-out) and never a file outside
    the report folder (``../handout.xlsx``), even when the run fails.
    """
    if value is None or str(value).strip() == "":
        return ""
    raise ReportError(
        f"{where}: a report writes each notebook's Excel file itself, next to its page and "
        f"named after the notebook (05_rfm.xlsx, 07_alerts.xlsx), got {value!r}. Remove "
        f"{name.lower()} from the report's parameters; set it only when running "
        "a notebook by hand."
    )


def _database_source(value: Any, where: str) -> str:
    """A database URL without its password, which goes to the kernels' environment instead.

    The notebooks, the index and the logs then only ever see the URL without credentials;
    the PostgreSQL driver of every kernel reads ``PGPASSWORD`` from the environment.
    """
    try:
        source = parse_source(str(value))
    except PortfolioDataError as err:
        raise ReportError(f"{where}: {err}") from None
    url, password = without_password(str(value))
    if password:
        known = os.environ.get("PGPASSWORD")
        if known is not None and known != password:
            raise ReportError(
                f"{where}: {mask(value)} has a password other than PGPASSWORD's; give the "
                "passwords in ~/.pgpass (one line per server) rather than in the URLs"
            )
        os.environ["PGPASSWORD"] = password
    return url if source.url else str(value)


def _check_engine(value: Any, where: str) -> str:
    try:
        engine_kind(value)
    except ValueError as err:
        raise ReportError(f"{where}: {err}") from None
    if str(value) != mask(value) or "token=" in str(value):
        raise ReportError(
            f"{where}: the engine URL holds credentials; put it in the SPARK_REMOTE environment "
            "variable and give --engine spark"
        )
    return str(value)


def _resolve_data_path(value: Any, where: str, base: Path) -> str:
    if value is None or str(value).strip() == "":
        return ""  # optional table left out
    path = Path(str(value)).expanduser()
    if not path.is_absolute():
        path = base / path
    path = Path(os.path.normpath(path))
    if not path.is_file():
        raise ReportError(
            f"{where}: file not found: {path} (given as {value!r}, relative paths are taken "
            f"from {base}). Check the path, or give an absolute one."
        )
    return str(path)


def _match_default_type(value: Any, default: Any, where: str) -> Any:
    """Refuse values a notebook cannot use (text where it expects a number) and turn
    numbers into text where it expects text (a rep code 12 -> "12")."""
    if value is None:
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ReportError(f"{where}: expected true or false, got {value!r}")
    elif isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ReportError(
                f"{where}: expected a number like the default {default!r}, got {value!r} "
                "(write decimals with a point: 0.7)"
            )
    elif (
        isinstance(default, str) and isinstance(value, (int, float)) and not isinstance(value, bool)
    ):
        return str(value)
    elif isinstance(default, (tuple, list)) and not isinstance(value, list):
        raise ReportError(f"{where}: expected a list like {list(default)!r}, got {value!r}")
    return value


def parameters_for(declared: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of ``parameters`` one notebook declares."""
    return {name: value for name, value in parameters.items() if name in declared}


def report_parameters(
    declared: Mapping[str, Any], parameters: Mapping[str, Any], *, folder: Path, stem: str
) -> dict[str, Any]:
    """What one notebook receives in a report run.

    The user's parameters it declares, plus what the report decides: no interactive
    explorer unless the user asks (``INTERACTIVE=False``: widgets mean nothing in a static
    page) and, for notebooks that write a client hand-out, the Excel file ``<stem>.xlsx``
    next to its HTML page in ``folder`` (any other ``EXCEL_OUTPUT`` is refused, see
    :func:`resolve_parameters`).
    """
    given = parameters_for(declared, parameters)
    if "INTERACTIVE" in declared and "INTERACTIVE" not in given:
        given["INTERACTIVE"] = False
    for name in REPORT_OUTPUTS:
        if name in declared:
            _check_report_output(name, given.get(name), f"{name} (given)")
            given[name] = str(folder / f"{stem}{REPORT_OUTPUT_SUFFIXES[name]}.xlsx")
    return given
