"""The lecture notebooks follow CONVENTIONS.md: order, title, set-up, stored outputs.

nbval (run on lectures/ by the same pytest command) checks that each stored output is
what the code produces; these tests check what nbval cannot see.
"""

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("notebooks", ROOT / "scripts" / "notebooks.py")
notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(notebooks)

PATHS = notebooks.lecture_paths()
ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]{6,}")


def read(path):
    return nbformat.read(path, as_version=4)


def output_text(output):
    data = output.get("data", {})
    return output.get("text", "") + data.get("text/plain", "") + data.get("text/html", "")


def test_lectures_are_numbered_from_01_without_gaps():
    numbers = [int(p.name[:2]) for p in PATHS]
    assert numbers == list(range(1, len(PATHS) + 1))
    assert len(PATHS) >= 8


def test_badges_set_up_cells_and_metadata_are_in_sync():
    stale = [p.name for p in notebooks.out_of_date()]
    assert stale == [], "run: python scripts/notebooks.py"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_sections_are_numbered_in_one_style(path):
    headings = [line[3:] for cell in read(path).cells if cell.cell_type == "markdown"
                for line in cell.source.splitlines() if line.startswith("## ")]
    sections = [h for h in headings if h not in ("Summary", "Exercises")]
    assert headings[-2:] == ["Summary", "Exercises"]
    assert [h.split(" · ")[0] for h in sections] == [str(i) for i in range(1, len(sections) + 1)], (
        "write the sections as '## 1 · Title', '## 2 · Title', ... (CONVENTIONS.md)")


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_title_cell_names_the_lecture_and_links_to_colab(path):
    title = read(path).cells[0]
    assert title.cell_type == "markdown"
    assert title.source.startswith(f"# {path.name[:2]} · ")
    assert notebooks.colab_url(f"lectures/{path.name}") in title.source
    for part in ("What you will learn", "Prerequisites", "Time"):
        assert part in title.source


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_stored_outputs_come_from_one_clean_run(path):
    code = [c for c in read(path).cells if c.cell_type == "code" and c.source.strip()]
    assert code[0].source == notebooks.setup_cell_source()
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), (
        "Restart the kernel and run all cells before committing")
    for cell in code:
        for output in cell.outputs:
            assert output.output_type != "error", cell.source[:80]
            assert not ADDRESS.search(output_text(output)), cell.source[:80]
            assert "(<Figure" not in output_text(output), "end plotting cells with plt.show()"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_ends_with_a_summary_and_exercises_with_hidden_solutions(path):
    cells = read(path).cells

    def has_heading(cell, heading):
        return cell.cell_type == "markdown" and heading in cell.source.splitlines()

    assert any(has_heading(c, "## Summary") for c in cells)
    start = next(i for i, c in enumerate(cells) if has_heading(c, "## Exercises"))
    solutions = [c for c in cells[start:] if "solution" in c.metadata.get("tags", [])]
    assert solutions, "each exercise needs a solution cell tagged 'solution'"
    for cell in solutions:
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True


def test_the_stored_kernelspec_is_what_ipykernel_reports():
    from ipykernel.kernelspec import get_kernel_dict

    reported = get_kernel_dict()
    assert notebooks.KERNELSPEC["display_name"] == reported["display_name"]
    assert notebooks.KERNELSPEC["language"] == reported["language"]
    for path in notebooks.lecture_paths() + sorted((ROOT / "exercises").glob("*.ipynb")):
        stored = nbformat.read(path, as_version=4).metadata["kernelspec"]
        assert stored == notebooks.KERNELSPEC, f"{path.name}: run python scripts/notebooks.py"


def test_prints_flushed_in_pieces_are_stored_as_one_output_per_stream():
    pieces = [nbformat.v4.new_output("stream", name="stdout", text="a\n"),
              nbformat.v4.new_output("stream", name="stdout", text="b\n"),
              nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
              nbformat.v4.new_output("stream", name="stdout", text="c\n"),
              nbformat.v4.new_output("execute_result", data={"text/plain": "1"},
                                     execution_count=1),
              nbformat.v4.new_output("stream", name="stdout", text="d\n")]
    merged = notebooks.merged_streams(pieces)
    assert [(o.output_type, o.get("name"), o.get("text")) for o in merged] == [
        ("stream", "stdout", "a\nb\n"), ("stream", "stderr", "warning\n"),
        ("stream", "stdout", "c\n"), ("execute_result", None, None),
        ("stream", "stdout", "d\n")]
