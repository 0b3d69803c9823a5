"""The notebooks run top to bottom on the real data, so they cannot rot unnoticed.

They are committed without outputs: executed, they show complaint text, which must never enter the repo.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ["01_explore_data.ipynb", "02_error_analysis.ipynb"]
KERNEL = "aduan-tests"
CELL_TIMEOUT_S = 900  # 02 trains two models in one cell; generous because CI machines are shared


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "notebooks" / name, as_version=4)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_without_outputs(name):
    dirty = [i for i, cell in enumerate(read(name).cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{name}: clear the outputs of cells {dirty} before committing (they hold dataset text)"


@pytest.mark.integration
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name, data_dir, tmp_path, monkeypatch):
    # A kernel spec of our own runs this interpreter (the venv's), whatever kernels the machine has.
    write_kernel_spec(tmp_path / "kernels" / KERNEL)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv("ADUAN_DATA_DIR", str(data_dir))
    notebook = read(name)
    NotebookClient(notebook, kernel_name=KERNEL, timeout=CELL_TIMEOUT_S,
                   resources={"metadata": {"path": str(ROOT)}}).execute()

    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    plots = [out for out in outputs if "image/png" in out.get("data", {})]
    tables = [out for out in outputs if "text/html" in out.get("data", {})]
    assert len(plots) >= 2, f"{name}: expected its plots, got {len(plots)}"
    assert len(tables) >= 5, f"{name}: expected its tables, got {len(tables)}"
