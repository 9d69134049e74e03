"""Reading executed notebooks in the notebook tests (imported by the test modules)."""

from __future__ import annotations


def errors(notebook) -> list[str]:
    """``'Name: message'`` of every error output of an executed notebook."""
    return [
        f"{o.get('ename')}: {o.get('evalue')}"
        for c in notebook.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
