"""Reading executed notebooks in the notebook tests (imported by the test modules)."""

from __future__ import annotations

from portfolio_lib.config import SAMPLE_FILES

# The sample's files as notebook parameters, and one of its sales reps.
SAMPLE = {name: str(SAMPLE_FILES[name]) for name in ("transactions", "customers", "costs")}
REP = "Julie Petit"


def errors(notebook) -> list[str]:
    """``'Name: message'`` of every error output of an executed notebook."""
    return [
        f"{o.get('ename')}: {o.get('evalue')}"
        for c in notebook.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]


def outputs(notebook, mimetype: str) -> list:
    """The ``mimetype`` data of every output of an executed notebook, in order."""
    return [
        o["data"][mimetype]
        for c in notebook.cells
        for o in c.get("outputs", [])
        if mimetype in o.get("data", {})
    ]


def recorded_figures(notebook) -> dict:
    """The key figures a notebook recorded (``present.record``), without its key findings.

    The findings (sentences and the figures they quote) are checked against the library in
    ``test_findings.py``; here only that the notebook recorded them, well formed (none when
    nothing stands out, e.g. no alert on the edge set).
    """
    from portfolio_lib.ui.present import read_records

    records = read_records(notebook)
    findings = records.pop("findings")
    assert isinstance(findings, list) and all(set(f) == {"study", "key", "text", "importance", "figures"}
                            for f in findings)  # fmt: skip
    return records
