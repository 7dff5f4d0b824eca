"""The exercise editions (exercises/, written by scripts/editions.py) and helpers.exercises.

An edition is its lecture with each solution cell replaced by a TODO cell; it must be up
to date, be the lecture apart from that (and the generated guards), run unfilled from top
to bottom without an error, and its checks must diagnose a planted mistake.
"""

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from helpers.exercises import filled_in, is_todo

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("editions", ROOT / "scripts" / "editions.py")
editions = importlib.util.module_from_spec(spec)
spec.loader.exec_module(editions)

LECTURES = editions.notebooks.lecture_paths()
NOT_YET = "not implemented yet"


def read(path):
    return nbformat.read(path, as_version=4)


def tags(cell):
    return cell.metadata.get("tags", [])


def run(nb, allow_errors=False):
    """Execute ``nb`` in place in a fresh kernel of this environment."""
    NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=allow_errors,
                   resources={"metadata": {"path": str(ROOT / "exercises")}}).execute()
    return nb


def text_of(cell):
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
        parts.append(output.get("evalue", ""))
    return "".join(parts)


# --- helpers.exercises -------------------------------------------------------------------


def test_filled_in_reports_each_missing_answer_and_accepts_falsy_answers(capsys):
    assert filled_in(a=1, b=0, c=[], d=0.0) is True
    assert capsys.readouterr().out == ""
    assert filled_in(a=1, b=None, c=None) is False
    out = capsys.readouterr().out
    assert out.startswith(f"{NOT_YET}: b, c ") and "a" not in out.split("(")[0].split(":")[1]


def test_a_function_or_class_that_only_raises_is_a_todo():
    def stub(x):
        """Docstring kept."""
        raise NotImplementedError  # TODO

    def done(x):
        return 2 * x

    class Stub:
        @staticmethod
        def backward(ctx, grad):
            raise NotImplementedError

    class Done:
        @staticmethod
        def backward(ctx, grad):
            return grad

    assert is_todo(None) and is_todo(stub) and is_todo(Stub)
    assert not is_todo(done) and not is_todo(Done) and not is_todo(0) and not is_todo("")


def test_filled_in_needs_at_least_one_answer():
    with pytest.raises(TypeError, match="name at least one answer"):
        filled_in()


# --- the generator on small cells --------------------------------------------------------


def test_todo_cell_keeps_what_later_cells_need_and_drops_the_rest():
    solution = (
        "# the answer, explained\n"
        "tmp = 3\n"
        "dx = tmp * 2\n"
        "def helper(a):\n"
        "    return a\n"
        "\n"
        "def relu(self):\n"
        '    """Docstring."""\n'
        "    return self\n"
        "\n"
        "Value.relu = relu\n"
    )
    source, answers = editions.todo_cell(solution, needed={"dx", "other"})
    assert answers == ["relu", "dx"]
    assert source.startswith("# TODO: ")
    assert "tmp" not in source and "helper" not in source and "explained" not in source
    assert 'def relu(self):\n    """Docstring."""\n    raise NotImplementedError' in source
    assert "Value.relu = relu" in source and source.endswith("dx = None")


def test_guard_and_unguard_are_inverse_and_leave_multiline_strings_alone():
    cell = 'text = """line one\nline two"""\nif text:\n    print(text)'
    guarded = editions.guard(cell, ["a", "b"])
    assert guarded.startswith("if filled_in(a=a, b=b):\n    text = ")
    assert "\nline two" in guarded      # not indented: that would change the string
    assert editions.guarded_answers(guarded) == ["a", "b"]
    assert editions.unguard(guarded) == cell
    namespace = {"filled_in": filled_in, "a": 1, "b": 2}
    exec(guarded, namespace)
    assert namespace["text"] == "line one\nline two"


def test_a_cell_that_sets_a_name_before_reading_it_does_not_depend_on_it():
    uses = editions.Uses("fig, ax = make()\nfig.show()\nprint(dlogits)")
    assert "dlogits" in uses.reads and "fig" not in uses.reads


# --- the editions -------------------------------------------------------------------------


def test_editions_are_up_to_date():
    stale = [str(path.relative_to(ROOT)) for _, path in editions.out_of_date()]
    assert stale == [], "run: python scripts/editions.py"


def test_check_names_an_edition_that_is_out_of_date(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(editions, "EXERCISES", tmp_path)
    lecture = LECTURES[0]
    (tmp_path / lecture.name).write_text(editions.edition(lecture).replace("TODO", "done"))
    assert editions.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert lecture.name in out and LECTURES[1].name in out   # changed, and missing


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda p: p.name)
def test_edition_is_the_lecture_without_its_answers(lecture):
    original, edition = read(lecture), read(editions.edition_path(lecture))
    assert len(edition.cells) == len(original.cells)
    title = edition.cells[0].source
    assert "exercise edition" in title and f"lectures/{lecture.name}" in title
    assert "scripts/editions.py" in title and "do not edit" in title
    assert editions.notebooks.colab_url(f"exercises/{lecture.name}") in title
    assert editions.notebooks.colab_url(f"lectures/{lecture.name}") not in title
    todo = 0
    for before, after in zip(original.cells[1:], edition.cells[1:], strict=True):
        assert after.cell_type == before.cell_type
        if after.cell_type == "markdown":
            assert after.source == before.source
            continue
        assert after.outputs == [] and after.execution_count is None
        if "solution" in tags(before):
            todo += 1
            assert "todo" in tags(after) and "solution" not in tags(after)
            assert after.source.startswith("# TODO: ")
            assert not after.metadata.get("jupyter", {}).get("source_hidden")
            continue
        restored = re.sub(r"  # noqa: (E501|F401 \(for your answers\))$", "", after.source,
                          flags=re.M)
        if restored.startswith("if filled_in("):   # the guard: drop it, dedent the cell
            # inside an `if` a cell's last value is not shown: the lecture must show none
            assert not any(o.output_type == "execute_result" for o in before.outputs)
            restored = "\n".join(line[4:] for line in restored.split("\n")[1:])
        if editions.notebooks.is_setup_cell(before):
            restored = restored.removesuffix("\n" + editions.IMPORT_LINE)
        assert restored == before.source
    assert todo == sum("solution" in tags(c) for c in original.cells) > 0


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda p: p.name)
def test_unfilled_edition_runs_and_says_what_is_missing(lecture):
    nb = run(read(editions.edition_path(lecture)))   # an error output would raise here
    guarded = [c for c in nb.cells if c.source.startswith("if filled_in(")]
    assert guarded
    for cell in guarded:
        answers = editions.guarded_answers(cell.source)
        assert f"{NOT_YET}: " in text_of(cell), cell.source[:80]
        assert answers[0] in text_of(cell)


def fill(nb, lecture, answers):
    """Put the lecture's solutions back into the TODO cells of ``nb``, or ``answers[i]``
    into the TODO cell at index ``i``; keep the cells up to the last one filled + 1."""
    original = read(lecture)
    last = max(answers)
    for i, (cell, before) in enumerate(zip(nb.cells[:last + 1], original.cells, strict=False)):
        if "todo" in tags(cell):
            cell.source = answers.get(i, before.source)
    nb.cells = nb.cells[:last + 2]
    return nb


def test_a_wrong_sign_in_dlogits_is_diagnosed():
    lecture = ROOT / "lectures" / "07_analytic_backward.ipynb"
    nb = read(editions.edition_path(lecture))
    todo = next(i for i, c in enumerate(nb.cells) if "todo" in tags(c))
    wrong = ("dlogits = F.one_hot(Yb, 27) - F.softmax(acts['logits'].detach(), dim=1)\n"
             "dlogits /= n")
    nb = run(fill(nb, lecture, {todo: wrong}), allow_errors=True)
    check = nb.cells[todo + 1]
    assert "FAIL: the sign is wrong" in text_of(check)
    assert any(o.output_type == "error" and o.ename == "AssertionError" for o in check.outputs)


def test_a_batchnorm_backward_that_divides_by_n_is_diagnosed_as_bessel():
    lecture = ROOT / "lectures" / "06_manual_backprop.ipynb"
    nb = read(editions.edition_path(lecture))
    todo = next(i for i, c in enumerate(nb.cells) if c.source.endswith("dbndiff2 = None"))
    wrong = "dbndiff2 = 1 / n * torch.ones_like(bndiff2) * dbnvar"   # n, not n - 1
    nb = run(fill(nb, lecture, {todo: wrong}), allow_errors=True)
    for cell in nb.cells[:todo]:   # the earlier TODOs, filled from the lecture, pass
        assert not any(o.output_type == "error" for o in cell.get("outputs", []))
        assert NOT_YET not in text_of(cell)
    assert "n versus n-1: Bessel's correction?" in text_of(nb.cells[todo + 1])


def test_the_long_training_run_waits_for_the_hand_written_backward_pass():
    nb = read(ROOT / "exercises" / "08_training_by_hand.ipynb")
    training = next(c for c in nb.cells if "max_steps = 200_000" in c.source)
    assert training.source.startswith("if filled_in(forward_backward=forward_backward):\n")
    # everything that uses the trained parameters waits too, up to the exercises
    later = nb.cells[nb.cells.index(training):]
    for cell in later:
        if cell.cell_type == "code" and "params" in cell.source and "todo" not in tags(cell):
            assert cell.source.startswith("if filled_in(forward_backward=forward_backward")
