"""The exercise editions (exercises/, written by scripts/editions.py) and helpers.checks.guard.

An edition is its lecture with each solution cell replaced by a TODO cell; it must be up
to date, be the lecture apart from that (and the generated guards and fallback cells), run
unfilled from top to bottom without an error, and its checks must diagnose a planted
mistake. The editions with answers in tests/edition_answers/ (see its __init__) also run
filled with the lecture's answers, with other correct answers, and with each planted mistake.
"""

import ast
import importlib.util
import re
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from helpers.checks.guard import fall_back, filled_in, is_todo

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("editions", ROOT / "scripts" / "editions.py")
editions = importlib.util.module_from_spec(spec)
spec.loader.exec_module(editions)

LECTURES = editions.notebooks.lecture_paths()
NOT_YET = "not implemented yet"
STANDS_IN = "using the finished"
ANSWERS_DIR = ROOT / "tests" / "edition_answers"


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


# --- helpers.checks.guard -------------------------------------------------------------------


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


FINISHED_MODULE = '''
"""Finished versions for the tests (a stand-in for helpers.finished.value and helpers.tools.nn)."""


class Box:
    def __init__(self, data):
        self.data = data


def add(self, other):
    return type(self)(self.data + other.data)


class Doubler:
    def __init__(self, k=2):
        self.k = k

    def __call__(self, x):
        return self.k * x

    def name(self):
        return "doubler"


def check_add(cls):
    out = cls(2.0) + cls(3.5)
    if out is None:
        raise AssertionError("add returned None: return the new value")
    message = "" if out.data != 7.0 else ": the operands are multiplied, not added"
    assert out.data == 5.5, f"2 + 3.5 gave {out.data}{message}"
    print("add: correct")
'''


@pytest.fixture
def finished_demo(tmp_path, monkeypatch):
    """A module ``finished_demo`` with finished versions, importable from ``tmp_path``."""
    (tmp_path / "finished_demo.py").write_text(FINISHED_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "finished_demo", raising=False)
    import finished_demo

    return finished_demo


def test_fall_back_puts_the_finished_function_in_place_of_a_stub_and_says_so(
        finished_demo, capsys):
    def add(self, other):
        raise NotImplementedError  # TODO

    stand_in = fall_back("add", add, "finished_demo.add")
    assert stand_in is finished_demo.add
    assert capsys.readouterr().out == "using the finished `add` from finished_demo for now\n"
    assert is_todo(stand_in)   # a guard still says the TODO is open...
    assert filled_in(add=stand_in) is False
    assert fall_back("add", stand_in, "finished_demo.add") is stand_in   # ...and a rerun too
    capsys.readouterr()

    def mine(self, other):
        return other

    assert fall_back("add", mine, "finished_demo.add") is mine
    assert capsys.readouterr().out == ""
    fall_back("plus", None, "finished_demo.add")
    assert capsys.readouterr().out == "using the finished `plus` (finished_demo.add) for now\n"


def test_fall_back_copies_only_the_stub_methods_of_a_class(finished_demo, capsys):
    class Doubler:
        def __init__(self, k=2):
            raise NotImplementedError  # TODO

        def __call__(self, x):
            raise NotImplementedError  # TODO

        def name(self):
            return "mine"

    kept = fall_back("Doubler", Doubler, "finished_demo.Doubler")
    assert kept is Doubler and Doubler()(4) == 8 and Doubler().name() == "mine"
    assert capsys.readouterr().out == ("using the finished `Doubler.__init__`, "
                                       "`Doubler.__call__` from finished_demo.Doubler for now\n")
    assert is_todo(Doubler)

    class Blank:
        def __init__(self, k=2):
            raise NotImplementedError  # TODO

        def name(self):
            raise NotImplementedError  # TODO

    fall_back("Blank", Blank, "finished_demo.Doubler")
    assert Blank().name() == "doubler" and not callable(Blank())   # only the stubs came
    assert capsys.readouterr().out == "using the finished `Blank` (finished_demo.Doubler) for now\n"


def test_fall_back_says_what_is_wrong_with_its_arguments(finished_demo):
    def stub(self):
        raise NotImplementedError  # TODO

    class Other:
        def missing(self):
            raise NotImplementedError  # TODO

    with pytest.raises(ValueError, match="no finished version at 'finished_demo.nothing'"):
        fall_back("stub", stub, "finished_demo.nothing")
    with pytest.raises(ValueError, match="not a dotted path"):
        fall_back("stub", stub, "add")
    with pytest.raises(TypeError, match="has no method 'missing'"):
        fall_back("Other", Other, "finished_demo.Doubler")
    with pytest.raises(TypeError, match="is a class, but finished_demo.add is not"):
        fall_back("Other", Other, "finished_demo.add")


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


def synthetic_lecture():
    """A small lecture: a function attached to a class (with its check), a class (no check
    after it), and a value answer, each a solution cell."""
    code, markdown = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell

    def solution(source, finished=None):
        cell = code(textwrap.dedent(source).strip())
        cell.metadata["tags"] = ["solution"]
        if finished:
            cell.metadata["finished"] = finished
        return cell

    badge = editions.notebooks.colab_badge("lectures/99_synthetic.ipynb")
    nb = nbformat.v4.new_notebook(cells=[
        markdown(f"# A synthetic lecture\n\n{badge}"),
        code("# Set-up: nothing to install here\nimport helpers  # noqa: F401"),
        code("from IPython.display import display\n\nfrom finished_demo import Box, check_add\n\n"
             "shown = display('working', display_id=True)\nshown.update('ready')  # as a bar does"),
        markdown("**Exercise 1.** Write `add`."),
        solution('''
            def add(self, other):
                """The sum of two boxes."""
                return Box(self.data + other.data)


            Box.__add__ = add
            ''', {"add": "finished_demo.add"}),
        code("check_add(Box)"),
        code("total = Box(1.0) + Box(2.0)\nprint(total.data)"),
        solution('''
            class Doubler:
                def __init__(self, k=2):
                    self.k = k

                def __call__(self, x):
                    return self.k * x

                def name(self):
                    return "doubler"
            ''', {"Doubler": "finished_demo.Doubler"}),
        markdown("The doubler at work:"),
        code("print(Doubler()(4), Doubler().name())"),
        solution("answer = 3 * 7"),
        code('assert answer == 21, f"{answer} is not 3 * 7"\nprint("answer: correct")'),
    ])
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    return nb


def synthetic_edition():
    return nbformat.reads(editions.edition_of(synthetic_lecture(), "lectures/99_synthetic.ipynb",
                                              "exercises/99_synthetic.ipynb"), as_version=4)


def test_a_finished_piece_gets_a_guarded_check_then_a_fallback_and_nothing_later_waits():
    cells = synthetic_edition().cells
    sources = [c.source for c in cells]
    assert sources[1].endswith("\n" + editions.FALLBACK_IMPORT_LINE)
    assert "finished version" in sources[0]
    assert sources[4].startswith("# TODO: ") and "todo" in tags(cells[4])
    assert "finished" not in cells[4].metadata
    assert sources[5] == "if filled_in(add=add):\n    check_add(Box)"
    assert tags(cells[6]) == ["fallback"] and cells[6].id == "cell-4-fallback"
    assert sources[6].split("\n")[1:] == ['add = fall_back("add", add, "finished_demo.add")',
                                          "Box.__add__ = add"]
    assert sources[7] == "total = Box(1.0) + Box(2.0)\nprint(total.data)"   # not guarded
    # the next cell is not a check: the fallback comes right after the TODO cell
    assert "class Doubler" in sources[8] and tags(cells[9]) == ["fallback"]
    assert 'Doubler = fall_back("Doubler", Doubler, "finished_demo.Doubler")' in sources[9]
    assert cells[10].cell_type == "markdown" and sources[11].startswith("print(Doubler()")
    # a value answer keeps its guard and gets no fallback
    assert sources[12].endswith("answer = None")
    assert sources[13].startswith("if filled_in(answer=answer):") and len(cells) == 14


def test_hints_follow_the_todo_and_answer_cells_move_after_the_check_and_its_fallback():
    nb = synthetic_lecture()
    nb.cells[4].metadata["hints"] = [{"title": "look", "text": "The sum of $a$ and $b$."},
                                     {"title": "idea", "text": "`Box(...)` of the sum."}]
    told = nbformat.v4.new_markdown_cell("Add the two `.data` fields into a new `Box`.")
    told.metadata["tags"] = ["answer"]
    told.id = "told"
    nb.cells.insert(5, told)   # between the solution and its check
    before = nbformat.v4.new_markdown_cell("Exercise 1 again: the answer is a Box.")
    before.metadata["tags"] = ["answer"]
    before.id = "before"
    nb.cells.insert(4, before)  # before the solution: it belongs to the next blank too
    cells = nbformat.reads(editions.edition_of(nb, "lectures/99_synthetic.ipynb",
                                               "exercises/99_synthetic.ipynb"), 4).cells
    ids = [c.id for c in cells]
    at = ids.index("cell-4")
    assert ids[at:at + 6] == ["cell-4", "cell-4-hints", "cell-5", "cell-4-fallback",
                              "before-worked-answer", "before"] and ids[at + 6] == "told"
    hints = cells[at + 1].source
    assert hints.count("<details><summary>Hint ") == 2 and "Hint 2 · idea" in hints
    assert cells[at + 2].source == "if filled_in(add=add):\n    check_add(Box)"
    assert cells[at + 4].source == editions.WORKED_LINE


@pytest.mark.parametrize("hints", [["just text"], [{"title": "x"}], {"title": "x", "text": "y"},
                                   [{"title": "", "text": "y"}]])
def test_malformed_hints_are_refused_with_what_to_write(hints):
    nb = synthetic_lecture()
    nb.cells[4].metadata["hints"] = hints
    with pytest.raises(ValueError, match='must be a list of {"title": "...", "text": "..."}'):
        editions.edition_of(nb, "lectures/99_synthetic.ipynb", "exercises/99_synthetic.ipynb")


def test_an_import_that_its_own_cell_uses_is_not_marked_for_the_answers():
    imports = synthetic_edition().cells[2].source   # imports display and uses it at once
    assert imports.startswith("from IPython.display import display\n") and "noqa" not in imports


def test_an_edition_without_finished_pieces_keeps_the_old_import_line():
    nb = synthetic_lecture()
    for cell in nb.cells:
        cell.metadata.pop("finished", None)
    cells = nbformat.reads(editions.edition_of(nb, "lectures/99_synthetic.ipynb",
                                               "exercises/99_synthetic.ipynb"), 4).cells
    assert cells[1].source.endswith("\n" + editions.IMPORT_LINE)
    assert not any("fallback" in tags(c) for c in cells)
    assert cells[6].source.startswith("if filled_in(add=add):")   # downstream waits


@pytest.mark.parametrize("finished, message", [
    ({"add": "add"}, "dotted path of its finished version"),
    (["add"], "must map each name"),
    ({"plus": "finished_demo.add"}, "names plus, which the cell does not define"),
])
def test_wrong_finished_metadata_is_refused_with_what_to_write(finished, message):
    nb = synthetic_lecture()
    nb.cells[4].metadata["finished"] = finished
    with pytest.raises(ValueError, match=message):
        editions.edition_of(nb, "lectures/99_synthetic.ipynb", "exercises/99_synthetic.ipynb")


def test_comprehension_variables_are_no_cells_names_on_any_python():
    # Python 3.12 inlines comprehensions: symtable then lists `k` as the cell's own name
    uses = editions.Uses("total = sum(w[k] for k in keys)\nrows = [k * 2 for k in range(3)]")
    assert uses.reads == {"sum", "w", "keys", "range"} and uses.sets == {"total", "rows"}
    uses = editions.Uses("def f(x=y):\n    global g\n    return [g for g in x] + [z]\n"
                         "class C(B):\n    a = 1\n    b = [a for _ in c]\n")
    assert uses.reads == {"y", "z", "B", "c", "a"} and uses.sets == {"f", "C"}


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


GENERATED = {"fallback", editions.HINTS_TAG, editions.WORKED_TAG}


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda p: p.name)
def test_edition_is_the_lecture_without_its_answers(lecture):
    original, edition = read(lecture), read(editions.edition_path(lecture))
    fallbacks = [i for i, c in enumerate(edition.cells) if "fallback" in tags(c)]
    for i in fallbacks:   # right after a TODO cell (and its hints), or after its check
        before = [c for c in edition.cells[:i] if editions.HINTS_TAG not in tags(c)]
        assert "todo" in tags(before[-1]) or (
            "todo" in tags(before[-2]) and before[-1].source.startswith("if filled_in("))
        assert edition.cells[i].source.startswith("# Generated for the exercise edition")
    for i, cell in enumerate(edition.cells):
        if editions.HINTS_TAG in tags(cell):
            assert "todo" in tags(edition.cells[i - 1]) and cell.cell_type == "markdown"
        if editions.WORKED_TAG in tags(cell):
            assert editions.ANSWER_TAG in tags(edition.cells[i + 1])
    edition.cells = [c for c in edition.cells if not GENERATED & set(tags(c))]
    assert sorted(c.id for c in edition.cells) == sorted(c.id for c in original.cells)
    # only the cells tagged `answer` move; the rest keep the lecture's order
    order = [c.id for c in original.cells if editions.ANSWER_TAG not in tags(c)]
    assert [c.id for c in edition.cells if editions.ANSWER_TAG not in tags(c)] == order
    by_id = {c.id: c for c in edition.cells}
    title = edition.cells[0].source
    assert "exercise edition" in title and f"lectures/{lecture.name}" in title
    assert "scripts/editions.py" in title and "do not edit" in title
    assert editions.notebooks.colab_url(f"exercises/{lecture.name}") in title
    assert editions.notebooks.colab_url(f"lectures/{lecture.name}") not in title
    todo = 0
    for before in original.cells[1:]:
        after = by_id[before.id]
        assert after.cell_type == before.cell_type
        source = before.metadata.get(editions.EDITION_SOURCE_KEY, before.source)
        assert editions.EDITION_SOURCE_KEY not in after.metadata
        if after.cell_type == "markdown":
            assert after.source == source
            continue
        assert after.outputs == [] and after.execution_count is None
        if "solution" in tags(before):
            todo += 1
            assert "todo" in tags(after) and "solution" not in tags(after)
            assert after.source.startswith("# TODO: ")
            assert not after.metadata.get("jupyter", {}).get("source_hidden")
            assert editions.HINTS_KEY not in after.metadata
            assert editions.MAY_SHOW_KEY not in after.metadata
            continue
        restored = re.sub(r"  # noqa: (E501|F401 \(for your answers\))$", "", after.source,
                          flags=re.M)
        if restored.startswith("if filled_in("):   # the guard: drop it, dedent the cell
            # inside an `if` a cell's last value is not shown: the lecture must show none
            assert not any(o.output_type == "execute_result" for o in before.outputs)
            restored = "\n".join(line[4:] for line in restored.split("\n")[1:])
        if editions.notebooks.is_setup_cell(before):
            line = editions.FALLBACK_IMPORT_LINE if fallbacks else editions.IMPORT_LINE
            restored = restored.removesuffix("\n" + line)
        assert restored == source
    assert todo == sum("solution" in tags(c) for c in original.cells) > 0


def _code_lines(source):
    """The lines of a cell's code, comments dropped and whitespace removed, that are long
    enough to give an answer away (12+ characters)."""
    lines = set()
    for line in source.splitlines():
        line = re.sub(r"\s+", "", re.sub(r"#.*$", "", line))
        if len(line) >= 12:
            lines.add(line)
    return lines


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda p: p.name)
def test_edition_asks_before_it_tells(lecture):
    """No line of a blank's answer appears in a cell the learner reads before its check
    (hints included), unless an earlier blank's answer already had it; every blank has a
    ladder of at least two collapsed hints."""
    original, edition = read(lecture), read(editions.edition_path(lecture))
    solutions = [c for c in original.cells if "solution" in tags(c)]
    todos = [i for i, c in enumerate(edition.cells) if "todo" in tags(c)]
    assert len(solutions) == len(todos)
    written, told = set(), []
    for solution, at in zip(solutions, todos, strict=True):
        todo = edition.cells[at]
        hints = edition.cells[at + 1]
        summaries = re.findall(r"<details><summary>Hint (\d+) · ", hints.source)
        if len(summaries) < 2 or editions.HINTS_TAG not in tags(hints):
            told.append(f"cell {todo.id}: fewer than two hints")
        answers = re.findall(r"^(\w+) = None$", todo.source, flags=re.M) or [
            n.name for n in ast.parse(todo.source).body if hasattr(n, "name")]
        check = editions.check_index(edition.cells, at, answers)
        end = at + 2 if check is None else check
        may_show = {re.sub(r"\s+", "", line)
                    for line in solution.metadata.get(editions.MAY_SHOW_KEY, [])}
        answer = _code_lines(solution.source) - _code_lines(todo.source) - written - may_show
        for cell in edition.cells[:end]:
            if cell is todo:
                continue
            text = re.sub(r"\s+", "", cell.source)
            for line in answer:
                if line in text:
                    told.append(f"cell {cell.id} gives `{line}` before the check of {todo.id}")
        written |= _code_lines(solution.source)
    assert told == [], "\n".join(told) + (
        "\nIn the lecture, tag the cell that gives the answer `answer` (it moves after the "
        "check), or write the hints; a line that only applies a rule taught earlier may be "
        "listed in the solution cell's metadata \"may_show\".")


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda p: p.name)
def test_unfilled_edition_runs_and_says_what_is_missing(lecture):
    nb = run(read(editions.edition_path(lecture)))   # an error output would raise here
    guarded = [c for c in nb.cells if c.source.startswith("if filled_in(")]
    assert guarded
    for cell in guarded:
        answers = editions.guarded_answers(cell.source)
        assert f"{NOT_YET}: " in text_of(cell), cell.source[:80]
        assert answers[0] in text_of(cell)
    for cell in nb.cells:   # one line for each finished piece that stands in
        if "fallback" in tags(cell):
            names = [line.split(" = ")[0] for line in cell.source.split("\n")
                     if "= fall_back(" in line]
            said = text_of(cell).splitlines()
            assert len(said) == len(names) and all(
                line.startswith(f"{STANDS_IN} `{name}`") and line.endswith(" for now")
                for line, name in zip(said, names, strict=True)), (cell.source, said)


def fill(nb, lecture, answers):
    """Put the lecture's solutions back into the TODO cells of ``nb``, or ``answers[i]``
    into the TODO cell at index ``i``; keep the cells up to the last one filled + 1."""
    original = read(lecture)
    last = max(answers)
    solutions = iter([c.source for c in original.cells if "solution" in tags(c)])
    for i, cell in enumerate(nb.cells[:last + 1]):
        if "todo" in tags(cell):
            cell.source = answers.get(i, next(solutions))
            if i in answers:
                next(solutions)
    check = check_cell(nb, last)
    nb.cells = nb.cells[:(last + 1) if check is None else nb.cells.index(check) + 1]
    return nb


def test_a_wrong_sign_in_dlogits_is_diagnosed():
    lecture = ROOT / "lectures" / "07_analytic_backward.ipynb"
    nb = read(editions.edition_path(lecture))
    todo = next(i for i, c in enumerate(nb.cells) if "todo" in tags(c))
    wrong = ("dlogits = F.one_hot(Yb, 27) - F.softmax(acts['logits'].detach(), dim=1)\n"
             "dlogits /= n")
    nb = run(fill(nb, lecture, {todo: wrong}), allow_errors=True)
    check = check_cell(nb, todo)
    refusal = [o for o in check.outputs if o.output_type == "error" and o.ename == "Refused"]
    assert refusal and refusal[0].evalue.startswith("the sign is wrong"), text_of(check)


def test_a_batchnorm_backward_that_divides_by_n_is_diagnosed_as_bessel():
    lecture = ROOT / "lectures" / "06_manual_backprop.ipynb"
    nb = read(editions.edition_path(lecture))
    todo = next(i for i, c in enumerate(nb.cells) if c.source.endswith("dbndiff2 = None"))
    wrong = "dbndiff2 = 1 / n * torch.ones_like(bndiff2) * dbnvar"   # n, not n - 1
    nb = run(fill(nb, lecture, {todo: wrong}), allow_errors=True)
    for cell in nb.cells[:todo]:   # the earlier TODOs, filled from the lecture, pass
        assert not any(o.output_type == "error" for o in cell.get("outputs", []))
        assert NOT_YET not in text_of(cell)
    assert "n versus n-1: Bessel's correction?" in text_of(check_cell(nb, todo))


def test_the_long_training_run_uses_the_finished_backward_pass_until_yours_is_written():
    nb = read(ROOT / "exercises" / "08_training_by_hand.ipynb")
    training = next(i for i, c in enumerate(nb.cells) if "max_steps = 200_000" in c.source)
    assert not nb.cells[training].source.startswith("if filled_in(")   # it always runs
    fallback = [i for i, c in enumerate(nb.cells)
                if "fallback" in tags(c) and "fall_back(" in c.source
                and '"forward_backward", forward_backward' in c.source]
    assert len(fallback) == 1 and fallback[0] < training
    todo = next(i for i, c in enumerate(nb.cells) if "todo" in tags(c))
    assert todo < fallback[0]


# --- the four ways: unfilled, the lecture's answers, other answers, planted mistakes -------


def todo_keys(nb):
    """``{index of a TODO cell: its key}`` (see tests/edition_answers/__init__.py)."""
    keys, seen = {}, {}
    for i, cell in enumerate(nb.cells):
        if "todo" not in tags(cell):
            continue
        tree = editions.ast.parse(cell.source)
        defined = [n.name for n in tree.body
                   if isinstance(n, editions.ast.FunctionDef | editions.ast.ClassDef)]
        name = (defined or editions._assigned_in_order(tree))[0]
        seen[name] = seen.get(name, 0) + 1
        keys[i] = name if seen[name] == 1 else f"{name}#{seen[name]}"
    return keys


def check_cell(nb, todo):
    """The check cell right after the TODO cell at ``todo`` (and its hints), or None."""
    at = todo + 1
    while at < len(nb.cells) and editions.HINTS_TAG in tags(nb.cells[at]):
        at += 1
    after = nb.cells[at] if at < len(nb.cells) else None
    if (after is not None and after.cell_type == "code" and not tags(after)
            and after.source.startswith("if filled_in(")):
        return after
    return None


def answers_plan(nb, answers):
    """``{TODO index: its answers}``, after checking that the answers file fits the edition."""
    keys = todo_keys(nb)
    unknown = sorted(set(answers) - set(keys.values()))
    assert not unknown, f"these keys name no TODO cell: {unknown}; the TODO cells: {keys}"
    lacking = [k for k in keys.values() if not answers.get(k, {}).get("alternatives")]
    assert not lacking, f"no alternative answer for the TODO cells {lacking}"
    for i, key in keys.items():
        if answers[key].get("mistakes") and check_cell(nb, i) is None:
            raise AssertionError(f"{key}: planted mistakes but no check cell after the TODO")
    return {i: answers[key] | {"key": key} for i, key in keys.items()}


class Kernel:
    """One kernel that runs cells in order, with other cells tried in between. It works on a
    scratch notebook of one cell: nbclient puts each executed cell into its notebook."""

    def __init__(self, workdir):
        scratch = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell()])
        self.client = NotebookClient(scratch, kernel_name="python3", timeout=600,
                                     allow_errors=True,
                                     resources={"metadata": {"path": str(workdir)}})

    def run(self, source):
        """Run ``source`` as a cell; returns its output text and its error (or None)."""
        cell = nbformat.v4.new_code_cell(source)
        self.client.nb.cells[0] = cell   # where a display update (a progress bar) lands
        self.client.clear_display_id_mapping(0)   # no update lands in an earlier cell
        self.client.execute_cell(cell, 0)
        errors = [o for o in cell.outputs if o.output_type == "error"]
        error = f"{errors[0].ename}: {errors[0].evalue}" if errors else None
        return text_of(cell), error


def walk(edition, lecture, answers, workdir, mode):
    """Run ``edition`` in one kernel, its TODO cells filled with the lecture's answers
    (trying each planted mistake before, ``mode="mistakes"``) or with the alternatives
    (trying every one but the last before, ``mode="alternatives"``). Returns the problems."""
    plan = answers_plan(edition, answers)
    solutions = [c.source for c in lecture.cells if "solution" in tags(c)]
    todos = [i for i, c in enumerate(edition.cells) if "todo" in tags(c)]
    assert len(solutions) == len(todos)
    lecture_answer = dict(zip(todos, solutions, strict=True))
    problems = []
    kernel = Kernel(workdir)
    with kernel.client.setup_kernel():
        for i, cell in enumerate(edition.cells):
            if cell.cell_type != "code":
                continue
            source = cell.source
            if i in plan:
                key, check = plan[i]["key"], check_cell(edition, i)
                if mode == "mistakes":
                    for mistake, expected, must_not in plan[i].get("mistakes", []):
                        kernel.run(mistake)
                        out, error = kernel.run(check.source)
                        said = f"{out}\n{error}"
                        if error is None:
                            problems.append(f"{key}: the check passed this mistake:\n{mistake}")
                        elif expected not in said:
                            problems.append(f"{key}: {expected!r} not in the check's output "
                                            f"{said!r} for\n{mistake}")
                        problems += [f"{key}: {wrong!r} (a diagnosis that does not fit) in "
                                     f"{said!r} for\n{mistake}" for wrong in must_not
                                     if wrong in said]
                    source = lecture_answer[i]
                else:
                    *tried, source = plan[i]["alternatives"]
                    for alternative in tried:
                        out, error = kernel.run(alternative)
                        if check is not None and error is None:
                            out, error = kernel.run(check.source)
                        if error is not None or NOT_YET in out:
                            problems.append(f"{key}: {error or out!r} for\n{alternative}")
            out, error = kernel.run(source)
            if error is not None or NOT_YET in out or STANDS_IN in out:
                what = plan[i]["key"] if i in plan else f"cell {i}"
                problems.append(f"{what} ({mode}): {error or out!r} in\n{source[:300]}")
    return problems


def answers_of(stem):
    path = ANSWERS_DIR / f"{stem}.py"
    spec = importlib.util.spec_from_file_location(f"edition_answers_{stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ANSWERS


@pytest.fixture
def synthetic(tmp_path):
    (tmp_path / "finished_demo.py").write_text(FINISHED_MODULE)
    return synthetic_lecture(), synthetic_edition(), tmp_path


def test_synthetic_edition_unfilled_runs_on_the_finished_pieces(synthetic):
    _, edition, workdir = synthetic
    NotebookClient(edition, kernel_name="python3", timeout=600,
                   resources={"metadata": {"path": str(workdir)}}).execute()
    said = [text_of(c) for c in edition.cells]
    assert said[5].startswith(f"{NOT_YET}: add")
    assert said[6] == f"{STANDS_IN} `add` from finished_demo for now\n"
    assert said[7] == "3.0\n"   # downstream, on the finished add
    assert said[9] == f"{STANDS_IN} `Doubler` from finished_demo for now\n"
    assert said[11] == "8 doubler\n" and said[13].startswith(f"{NOT_YET}: answer")


@pytest.mark.parametrize("mode", ["mistakes", "alternatives"])
def test_synthetic_edition_filled_four_ways(synthetic, mode):
    lecture, edition, workdir = synthetic
    assert walk(edition, lecture, answers_of("example_synthetic"), workdir, mode) == []


def test_the_walk_reports_a_missed_diagnosis_and_a_refused_alternative(synthetic):
    lecture, edition, workdir = synthetic
    answers = answers_of("example_synthetic")
    answers["add"]["mistakes"] = [("def add(self, other):\n    return Box(0)\n\n\n"
                                   "Box.__add__ = add\n", "multiplied", [])]
    answers["answer"]["mistakes"] = [("answer = 21\n", "is not", [])]
    answers["answer"]["alternatives"] = ["answer = 20\n", "answer = 21\n"]
    problems = walk(edition, lecture, answers, workdir, "mistakes")
    assert len(problems) == 2, problems
    assert problems[0].startswith("add: 'multiplied' not in the check's output")
    assert problems[1].startswith("answer: the check passed this mistake")
    problems = walk(edition, lecture, answers, workdir, "alternatives")
    assert len(problems) == 1 and problems[0].startswith("answer: ")
    assert "AssertionError: 20 is not 3 * 7" in problems[0]


def test_an_answers_file_needs_an_alternative_for_every_blank_and_known_keys():
    edition = synthetic_edition()
    answers = answers_of("example_synthetic")
    assert todo_keys(edition) == {4: "add", 8: "Doubler", 12: "answer"}
    with pytest.raises(AssertionError, match=r"no alternative answer for the TODO cells \['Doubl"):
        answers_plan(edition, answers | {"Doubler": {"alternatives": []}})
    with pytest.raises(AssertionError, match=r"name no TODO cell: \['add#2'\]"):
        answers_plan(edition, answers | {"add#2": answers["add"]})
    with pytest.raises(AssertionError, match="Doubler: planted mistakes but no check cell"):
        answers_plan(edition, answers | {"Doubler": answers["add"]})


# The lectures whose editions have the learner build code (issue 8), and any other with answers.
FOUR_WAYS = [p for p in LECTURES if p.name[:2] in {"02", "03", "04", "05"}
             or (ANSWERS_DIR / f"{p.stem}.py").exists()]


@pytest.mark.parametrize("mode", ["mistakes", "alternatives"])
@pytest.mark.parametrize("lecture", FOUR_WAYS, ids=lambda p: p.name)
def test_edition_filled_with_answers_and_mistakes(lecture, mode):
    if not (ANSWERS_DIR / f"{lecture.stem}.py").exists():
        pytest.skip(f"no tests/edition_answers/{lecture.stem}.py yet (see its __init__.py)")
    edition = read(editions.edition_path(lecture))
    problems = walk(edition, read(lecture), answers_of(lecture.stem), ROOT / "exercises", mode)
    assert problems == [], "\n\n".join(problems)
