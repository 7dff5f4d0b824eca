"""helpers.checks.report on a small synthetic class built from lecture 01's answers and planted
mistakes (tests/edition_answers/01_derivatives.py): one class run (two workers), then the CSV, the
summary, the saved outcomes and the bad files are checked from what it wrote."""

import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

from helpers.checks import report

ROOT = Path(__file__).resolve().parent.parent
LECTURE = "01_derivatives"
TIMEOUT = 30   # seconds per cell: the slowest cell of edition 01 takes ~15 s on a loaded machine

spec = importlib.util.spec_from_file_location("answers01",
                                              ROOT / "tests" / "edition_answers" / f"{LECTURE}.py")
answers01 = importlib.util.module_from_spec(spec)
spec.loader.exec_module(answers01)

# a learner's endless loop (it sleeps, so that it leaves the cores to the other notebooks)
ENDLESS = "def grad_f(a, b, c):\n    while True:\n        time.sleep(0.05)\n\n\nimport time\n"
CRASH = "import os\n\nos._exit(1)\n"
FLOOD = "print('x' * 1_000_000)\nfor k in range(500):\n    display(k)\n"


def edition():
    """The current edition of lecture 01 (as the generator writes it, whatever exercises/ holds)."""
    return nbformat.reads(report._editions().edition(ROOT / "lectures" / f"{LECTURE}.ipynb"),
                          as_version=4)


def filled(nb, sources):
    """``nb`` with the TODO cells of the blanks in ``sources`` ({key: source}) replaced."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for blank in report.reference(LECTURE).blanks:
        if blank.key in sources:
            cell = next(c for c in nb.cells if c.get("id") == blank.cell_id)
            cell.source = sources[blank.key]
    return nb


def lecture_answers():
    nb = nbformat.read(ROOT / "lectures" / f"{LECTURE}.ipynb", as_version=4)
    by_id = {c.id: c.source for c in nb.cells if "solution" in c.metadata.get("tags", [])}
    return {b.key: by_id[b.cell_id] for b in report.reference(LECTURE).blanks}


@pytest.fixture(scope="module")
def class_run(tmp_path_factory):
    """A class of seven: right, wrong (a planted mistake, and a flood), unfinished (only the
    first blank written), broken (three bad files), an endless loop, a kernel that dies, and
    one who handed in nothing. Run once for the module, with the report's --executed copies."""
    base, right = edition(), lecture_answers()
    folder = tmp_path_factory.mktemp("submissions")
    first = {"flat_points": right["flat_points"]}
    learners = {
        "right": filled(base, right),
        "wrong": filled(base, right | {"grad_f": answers01.GRAD_F_MINUS_C,
                                       "flat_points": right["flat_points"] + "\n" + FLOOD}),
        "unfinished": filled(base, first),
        "timeout": filled(base, right | {"grad_f": ENDLESS}),
        "crash": filled(base, {"flat_points": CRASH}),
    }
    # the crash learner dropped the imports cell: its run ends within seconds, with no torch
    imports = next(c for c in learners["crash"].cells if c.source.startswith("import math"))
    learners["crash"].cells.remove(imports)
    for name, nb in learners.items():
        (folder / name).mkdir()
        nbformat.write(nb, folder / name / f"{LECTURE}.ipynb")
    broken = folder / "broken"
    broken.mkdir()
    (broken / f"{LECTURE}.ipynb").write_text("{ this is not JSON")
    (broken / "notes.ipynb").write_text('{"cells": "none", "nbformat": 4}')
    other = broken / "sub" / "02_value_and_manual_backprop.ipynb"   # holds lecture 03's edition
    other.parent.mkdir()
    other.write_bytes((ROOT / "exercises" / "03_autograd_engine.ipynb").read_bytes())
    (folder / "absent").mkdir()   # a learner who handed in nothing
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    out = tmp_path_factory.mktemp("report")
    report.main(["class", str(folder), "--out", str(out), "--workers", "2",
                 "--timeout", str(TIMEOUT), "--executed"])
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    return folder, out, before, after


def rows_of(out):
    assert (out / "report.csv").read_bytes().startswith(b"\xef\xbb\xbflearner,")   # for Excel
    return report.read_csv(out / "report.csv")


def statuses(out, learner):
    return {r["blank"]: (r["status"], r["diagnosis"]) for r in rows_of(out)
            if r["learner"] == learner and r["lecture"] == LECTURE}


KEYS = ["flat_points", "de_da", "forward_error_f", "grad_f", "forward_grad"]


def test_the_blanks_are_keyed_and_checked_as_the_edition_tests_key_them():
    spec = importlib.util.spec_from_file_location("test_editions_for_keys",
                                                  ROOT / "tests" / "test_editions.py")
    test_editions = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test_editions)
    nb = edition()
    blanks = report.blanks_of(nb)
    assert [b.key for b in blanks] == list(test_editions.todo_keys(nb).values()) == KEYS
    for blank, (i, _) in zip(blanks, test_editions.todo_keys(nb).items(), strict=True):
        assert blank.check_id == test_editions.check_cell(nb, i).id


def test_the_csv_has_a_row_per_learner_lecture_and_blank(class_run):
    _, out, _, _ = class_run
    rows = rows_of(out)
    assert list(rows[0]) == report.FIELDS
    assert {k: v[0] for k, v in statuses(out, "right").items()} == dict.fromkeys(KEYS, "passed")
    wrong = statuses(out, "wrong")
    assert wrong["grad_f"][0] == "refused"
    assert wrong["grad_f"][1].startswith("∂f/∂c differs at (a, b, c) = (2, 3, 4)")
    assert "Likely mistake: the sign" in wrong["grad_f"][1]
    assert [wrong[k][0] for k in KEYS] == ["passed"] * 3 + ["refused", "passed"]
    unfinished = statuses(out, "unfinished")
    assert [unfinished[k][0] for k in KEYS] == ["passed"] + ["not yet"] * 4
    assert unfinished["grad_f"] == ("not yet", "not implemented yet: grad_f")
    assert {r["learner"] for r in rows} == {"right", "wrong", "unfinished", "timeout", "crash",
                                            "broken"}   # "absent" handed in nothing


def test_an_endless_loop_times_out_and_what_comes_after_is_not_run(class_run):
    _, out, _, _ = class_run
    timeout = statuses(out, "timeout")
    assert [timeout[k][0] for k in KEYS] == ["passed"] * 3 + ["timed out", "not run"]
    assert timeout["grad_f"][1] == f"its check ran past the {TIMEOUT} s timeout (an endless loop?)"
    assert timeout["forward_grad"][1].startswith("not run: cell ")
    assert "ran past the timeout" in timeout["forward_grad"][1]


def test_a_kernel_that_dies_is_named_and_the_rest_is_not_run(class_run):
    _, out, _, _ = class_run
    crash = statuses(out, "crash")
    assert [crash[k][0] for k in KEYS] == ["crashed"] + ["not run"] * 4
    assert crash["flat_points"][1].startswith("the kernel died in your TODO cell")
    assert all("killed the kernel" in crash[k][1] for k in KEYS[1:])


def test_bad_files_get_one_clear_row_each(class_run):
    _, out, _, _ = class_run
    broken = {r["file"]: (r["lecture"], r["blank"], r["status"], r["diagnosis"])
              for r in rows_of(out) if r["learner"] == "broken"}
    assert broken == {
        f"{LECTURE}.ipynb": (LECTURE, "", "not json", "not a notebook: not JSON (Expecting "
                             "property name enclosed in double quotes at line 1, column 3)"),
        "notes.ipynb": ("notes", "", "not a notebook",
                        "JSON, but not a Jupyter notebook (no cells or nbformat version)"),
        "sub/02_value_and_manual_backprop.ipynb": (
            "02_value_and_manual_backprop", "", "wrong lecture",
            "named 02_value_and_manual_backprop.ipynb but it holds the edition of lecture "
            "03_autograd_engine"),
    }


def test_a_flood_of_output_is_cut_and_the_submissions_are_untouched(class_run):
    _, out, before, after = class_run
    assert after == before
    executed = nbformat.read(out / "executed" / "wrong" / f"{LECTURE}.ipynb", as_version=4)
    flat = next(c for c in executed.cells if c.source.endswith(FLOOD))
    printed = "".join(o.get("text", "") for o in flat.outputs if o.get("name") == "stdout")
    assert len(printed) < report.OUTPUT_LIMIT + 100
    assert printed.endswith(f"[helpers.checks.report: output cut after {report.OUTPUT_LIMIT:,} "
                            "characters]\n")
    assert len(flat.outputs) == report.MAX_OUTPUTS + 1
    assert flat.outputs[-1].text == (f"[helpers.checks.report: outputs cut after "
                                     f"{report.MAX_OUTPUTS}]\n")
    assert not any(c.source.startswith("def _report_cap") for c in executed.cells)


def test_the_summary_gives_each_blanks_completion_and_its_common_diagnoses(class_run):
    _, out, _, _ = class_run
    text = (out / "summary.md").read_text()
    assert text.startswith("# Class report\n\n7 learners, 8 notebooks, ")
    section = text.split(f"## {LECTURE}\n")[1].split("\n## ")[0]
    table = {line.split(" | ")[0][2:]: line.split(" | ")[1:] for line in section.splitlines()
             if line.startswith("| ") and " of " in line}
    assert list(table) == KEYS
    # six handed in lecture 01 (broken's file counts, as not done)
    assert table["flat_points"][:2] == ["4 of 6", "67%"]
    assert table["de_da"][:2] == ["3 of 6", "50%"]
    assert table["grad_f"][:2] == ["1 of 6", "17%"]
    assert "Likely mistake: the sign: -1/c = -c⁻¹ has derivative" in table["grad_f"][2]
    assert "differs at" not in table["grad_f"][2]   # grouped by the mistake it names
    assert "its check ran past the" in table["grad_f"][2]
    assert table["forward_grad"][:2] == ["2 of 6", "33%"]
    assert "| broken | notes.ipynb | not a notebook | JSON, but not a Jupyter" in text
    assert (out / "completion.png").read_bytes()[:4] == b"\x89PNG"


def test_saved_outcomes_read_back_as_the_run_gave_them(class_run, capsys):
    _, out, _, _ = class_run
    paths = [out / "executed" / name / f"{LECTURE}.ipynb" for name in ("right", "unfinished")]
    report.main(["--saved", *map(str, paths)])
    printed = capsys.readouterr().out
    assert printed.count("5 of 5 blanks done") == 1 and printed.count("1 of 5 blanks done") == 1
    assert printed.rstrip().endswith("Total: 6 of 10 blanks done")
    assert "  grad_f           not yet      not implemented yet: grad_f" in printed


def test_an_older_edition_is_run_and_its_unknown_blanks_are_missing(class_run):
    _, out, _, _ = class_run
    nb = nbformat.read(out / "executed" / "right" / f"{LECTURE}.ipynb", as_version=4)
    renamed = next(b for b in report.reference(LECTURE).blanks if b.key == "de_da")
    next(c for c in nb.cells if c.id == renamed.cell_id).id = "an-old-id"
    path = out / f"old_{LECTURE}.ipynb"
    nbformat.write(nb, path)
    rows = report.report_file(path, saved=True, name=f"{LECTURE}.ipynb")
    assert rows[0] == (LECTURE, "", "old edition", "an older edition: it lacks 1 blank(s) of "
                       "the current edition (de_da) and has 1 TODO cell(s) the current edition "
                       "no longer has")
    assert {r[1]: r[2] for r in rows[1:]} == dict.fromkeys(KEYS, "passed") | {"de_da": "missing"}


def test_a_lecture_notebook_is_no_edition():
    rows = report.report_file(ROOT / "lectures" / f"{LECTURE}.ipynb", saved=True)
    assert rows == [(LECTURE, "", "not an edition",
                     "this is a lecture with its answers, not an exercise edition")]


def test_a_learners_bad_file_is_one_line_and_its_blanks_count_as_not_done(tmp_path, capsys):
    (tmp_path / f"{LECTURE}.ipynb").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    report.main(["--saved", str(tmp_path / f"{LECTURE}.ipynb"), str(tmp_path / "gone.ipynb")])
    printed = capsys.readouterr().out.splitlines()
    assert printed[1] == "  (file)  not json     not a notebook: the file is not text (not JSON)"
    assert printed[4].startswith("  (file)  error        cannot read the file: No such file")
    assert printed[-1] == "Total: 0 of 5 blanks done; 2 file(s) with a problem (see above)"


def test_diagnoses_that_name_the_same_mistake_are_counted_together(tmp_path):
    sign = ("∂f/∂c differs at (a, b, c) = ({}): grad_f gives -0.0625, expected 0.0625. "
            "Likely mistake: the sign: -1/c")
    rows = [(who, LECTURE, "grad_f", "refused", sign.format(at), f"{LECTURE}.ipynb")
            for who, at in [("a", "2, 3, 4"), ("b", "1, 1, 2")]]
    rows += [("c", LECTURE, "grad_f", "refused", "df_db is 0.5, expected 2.25", "x.ipynb"),
             ("d", LECTURE, "grad_f", "refused", "df_db is 1.5, expected 2.0", "x.ipynb"),
             ("e", LECTURE, "grad_f", "passed", "", "x.ipynb")]
    done, submitted, said = report.completion(rows)[(LECTURE, "grad_f")]
    assert (done, submitted) == (1, 5)
    assert said == {"Likely mistake: the sign: -1/c": 2, "df_db is #, expected #": 2}
    report.summary(rows, list("abcde"), tmp_path)
    assert ("| grad_f | 1 of 5 | 20% | Likely mistake: the sign: -1/c (2); df_db is #, "
            "expected # (2) |") in (tmp_path / "summary.md").read_text()


def test_saved_outcomes_are_read_with_what_else_the_cells_hold():
    """No kernel: a notebook as a learner might have saved it, outputs written by hand."""
    nb = edition()
    ref = {b.key: b for b in report.reference(LECTURE).blanks}
    cell = {c.get("id"): c for c in nb.cells}

    def outcome(status, diagnosis=""):
        return nbformat.v4.new_output("display_data", data={
            report.OUTCOME: {"answers": [], "status": status, "diagnosis": diagnosis},
            "text/plain": ""})

    def ran(blank, todo_count, check_count, todo_outputs=(), check_outputs=()):
        todo, check = cell[ref[blank].cell_id], cell[ref[blank].check_id]
        todo.source += "\n# written"
        todo.execution_count, todo.outputs = todo_count, list(todo_outputs)
        check.execution_count, check.outputs = check_count, list(check_outputs)

    ran("flat_points", 5, 3, check_outputs=[outcome("passed")])
    ran("de_da", 6, 7, [nbformat.v4.new_output("error", ename="SyntaxError",
                                                evalue="invalid syntax", traceback=[])],
        [outcome("refused", "NameError: name 'de_da' is not defined")])
    ran("forward_error_f", 8, 9, check_outputs=[nbformat.v4.new_output(
        "error", ename="AssertionError", evalue="off by 0.75\nmore", traceback=[])])
    ran("grad_f", 10, 11, check_outputs=[nbformat.v4.new_output(
        "stream", name="stdout", text="not implemented yet: grad_f (fill in its TODO cell, "
                                      "then run this cell again)\n")])
    ran("forward_grad", 12, 13, check_outputs=[outcome("not yet", "not implemented yet: grad_f")])
    assert report.blank_rows(LECTURE, nb, saved=True) == [
        ("flat_points", "passed", "(the TODO cell ran after its check: run the check again)"),
        ("de_da", "refused", "your cell raised SyntaxError: invalid syntax"),
        ("forward_error_f", "refused", "AssertionError: off by 0.75"),
        ("grad_f", "not yet", "not implemented yet: grad_f"),
        ("forward_grad", "waiting", "its check waits for an earlier blank: grad_f"),
    ]
