"""Every analysis notebook: committed clean, one outline, runs headless on two data sets.

Outline (DEVELOPERS' guide): a title, imports from portfolio_lib, one cell tagged
``parameters`` with literal defaults, then load, compute, show; no function or class defined
in a notebook. Each notebook must run with papermill on the sample and on the tiny edge-case
set, and draw its charts as normal cell outputs so the HTML report shows them offline.
"""

from __future__ import annotations

import ast
import math

import nbformat
import papermill
import pytest
from notebook_outputs import errors, outputs

from portfolio_lib.config import DEFAULTS, NOTEBOOKS_DIR
from portfolio_lib.i18n import label
from portfolio_lib.ui import widgets  # noqa: F401  (registers the control labels)
from portfolio_lib.ui.present import read_records

# The analysis notebooks in report order (app.ipynb is tested in the browser).
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
NAMES = [path.stem for path in NOTEBOOKS]
COMMON_PARAMETERS = {"TRANSACTIONS", "CUSTOMERS", "COSTS", "AS_OF", "LANG"}


def test_the_expected_notebooks_exist():
    assert NAMES[0] == "00_overview"
    assert len(NAMES) == len(set(n[:2] for n in NAMES)), "two notebooks share a number"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {index} has outputs: clear them"
            assert cell.execution_count is None, f"{path.name} cell {index} has a count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_outline(path):
    notebook = nbformat.read(path, as_version=4)
    cells = notebook.cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# "), "title first"
    tagged = [i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    code = [c for c in cells if c.cell_type == "code"]
    first_code = code[0].source
    assert "from portfolio_lib" in first_code or "import portfolio_lib" in first_code
    assert cells.index(code[1]) == tagged[0], "the parameters cell follows the imports"
    for cell in code:
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(
                node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
            ), f"{path.name}: logic belongs in portfolio_lib, not in the notebook:\n{cell.source}"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                assert cell is code[0], f"{path.name}: imports go in the first code cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_parameters_are_literals_found_by_papermill(path):
    parameters = papermill.inspect_notebook(str(path))
    assert set(parameters) >= COMMON_PARAMETERS, f"missing {COMMON_PARAMETERS - set(parameters)}"
    source = next(
        c.source for c in nbformat.read(path, as_version=4).cells
        if "parameters" in c.metadata.get("tags", [])
    )  # fmt: skip
    for node in ast.parse(source).body:
        assert isinstance(node, ast.Assign), f"{path.name}: only assignments in parameters"
        ast.literal_eval(node.value)  # raises if not a literal
        name = node.targets[0].id
        assert name.isupper(), f"{path.name}: parameter {name} should be UPPER_CASE"
        assert name in parameters, f"papermill does not see {name} (no '=' in its comment)"
        default = DEFAULTS.get(name.lower())
        if default is not None:
            value = ast.literal_eval(node.value)
            expected = list(default) if isinstance(default, tuple) else default
            got = list(value) if isinstance(value, tuple) else value
            assert got == expected, f"{path.name}: {name} default {got!r} != config {expected!r}"


@pytest.mark.notebooks
@pytest.mark.parametrize("dataset", ["sample", "edge"])
@pytest.mark.parametrize("name", NAMES)
def test_runs_headless_and_draws_charts_as_outputs(executed_notebook, name, dataset):
    notebook = executed_notebook(name, dataset)
    assert errors(notebook) == []
    images = [
        o for c in notebook.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    ]
    if dataset == "sample":
        assert images, f"{name} draws no chart as a normal output: the HTML report would be empty"
        assert read_records(notebook), f"{name} records no key figures (present.record)"


def _widget_views(notebook) -> list[dict]:
    return outputs(notebook, "application/vnd.jupyter.widget-view+json")


@pytest.mark.notebooks
@pytest.mark.parametrize("name", NAMES)
def test_explorer_shows_in_jupyter_and_stays_out_of_reports(executed_notebook, name):
    interactive = executed_notebook(name, "sample", INTERACTIVE=True)
    assert errors(interactive) == []
    views = _widget_views(interactive)
    assert len(views) == 1, f"{name}: one explorer expected, {len(views)} widget views shown"
    # The explorer sits under its own heading, after every static result.
    headings = [c.source.splitlines()[0] for c in interactive.cells if c.cell_type == "markdown"]
    assert headings[-1] == "## Explorer / Explore"
    assert "application/vnd.jupyter.widget-view+json" in str(interactive.cells[-1].outputs)
    # Headless (the report's setting): same static outputs, no widget.
    headless = executed_notebook(name, "sample")
    assert _widget_views(headless) == []
    # Equal up to the last bits of float sums (DuckDB adds in parallel, in no fixed order).
    assert _close(read_records(headless), read_records(interactive))


def _close(a: object, b: object) -> bool:
    """Records equal, floats within 1e-12 relative."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    return a == b


@pytest.mark.notebooks
def test_explorer_opens_on_the_notebook_parameters(executed_notebook):
    notebook = executed_notebook("04_balance", "sample", INTERACTIVE=True, A_CUT=0.7, B_CUT=0.9)
    assert errors(notebook) == []
    # nbclient saves the widgets' state in the notebook: what the sliders showed.
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    sliders = {
        model["state"]["description"]: model["state"]["value"]
        for model in state.values()
        if model["model_name"] == "FloatSliderModel"
    }
    assert sliders[label("control_a_cut", "fr")] == 0.7
    assert sliders[label("control_b_cut", "fr")] == 0.9
    assert sliders[label("control_dependence_alert", "fr")] == DEFAULTS["dependence_alert"]
