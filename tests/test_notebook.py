"""The Stutterfly notebook runs from top to bottom and shows its figures inline."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from tests.conftest import ROOT

NOTEBOOK = ROOT / "experiments" / "stutterfly.ipynb"


def test_the_notebook_runs_and_shows_its_figures():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), \
        "commit the notebook without outputs"
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 4  # in-house, curve, chance, stress: each once, inline
    tables = [o for o in outputs if "text/html" in o.get("data", {})]
    assert len(tables) >= 5  # the results' and the DataFrames' rich displays
    shown = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "SizeResult(scenario='Stutterfly holiday peak', recommended=" in shown
