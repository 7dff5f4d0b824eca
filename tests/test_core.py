"""helpers.checks.core: running the learner's code, the tolerance rule, seeding, diagnosing."""

import ast
import random

import pytest
import torch

from helpers.checks import core
from helpers.checks.core import Mistake, NotYet, Refused, Trial


def test_call_reports_a_stub_as_not_yet_and_an_error_as_the_learners_with_its_input():
    def stub(x):
        raise NotImplementedError

    def broken(a, b=1.0):
        return a / 0

    with pytest.raises(NotYet) as stub_info:
        core.call(stub, 1.0)
    assert stub_info.value.args == ("stub",)
    with pytest.raises(Refused) as info:
        core.call(broken, 2.0, b=3.0)
    assert str(info.value) == ("your broken(a=2.0, b=3.0) raised ZeroDivisionError: "
                               "float division by zero")
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_check_prints_not_yet_and_leaves_the_notebooks_random_state_alone(capsys):
    @core.check()
    def check_thing(fn):
        core.call(fn)

    def thing():
        raise NotImplementedError

    random.seed(5)
    before = random.random()
    random.seed(5)
    assert check_thing(thing) is None
    assert random.random() == before
    assert capsys.readouterr().out == "not implemented yet: thing\n"


def test_seeded_draws_depend_on_the_name_only():
    with core.seeded("check_a") as rng:
        a = [rng.random(), random.random(), float(torch.rand(()))]
    with core.seeded("check_a") as rng:
        b = [rng.random(), random.random(), float(torch.rand(()))]
    with core.seeded("check_b") as rng:
        c = [rng.random(), random.random(), float(torch.rand(()))]
    assert a == b and a != c


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_one_tolerance_accepts_a_right_answer_in_either_precision(dtype):
    exact = torch.tensor(-1.5170001234567, dtype=torch.float64)
    answer = exact.to(dtype)
    assert core.close(answer, exact) and core.close(exact, answer)
    assert core.precision(answer, exact) == ("float32" if dtype == torch.float32 else "float64")
    assert not core.close(answer * (1 + 1e-4), exact)
    assert not core.close(float("nan"), 1.0)


def test_tolerance_follows_the_least_precise_of_answer_reference_and_inputs():
    exact = torch.tensor([1.0, -2.0], dtype=torch.float64)
    from_float32 = exact + 1e-7     # a float64 answer computed from float32 activations
    assert core.tolerance(from_float32, exact) < 1e-7
    allowed = core.tolerance(from_float32, exact, inputs=(torch.ones(2),))
    assert allowed == core.tolerance(exact.float(), exact) > 1e-7


def test_diagnose_names_a_mistake_only_when_it_fits_every_trial():
    trials = [Trial(f"at x = {x}", got=2 * x, want=x * x, data={"x": x}) for x in (1.0, 3.0)]
    doubled = Mistake("the 2 is extra", lambda t: 2 * t.data["x"])
    cubed = Mistake("cubed", lambda t: t.data["x"] ** 3)
    assert core.diagnose(trials, [cubed, doubled]) == "the 2 is extra"
    trials[1].got = 7.0
    assert core.diagnose(trials, [cubed, doubled]) is None
    assert core.differs(trials) == "your answer at x = 1.0: expected 1, got 2"


def test_two_fitting_mistakes_are_named_as_either_or():
    trials = [Trial("at x = 2", got=4.0, want=1.0, data={"x": 2.0})]
    found = core.diagnose(trials, [Mistake("squared", lambda t: t.data["x"] ** 2),
                                   Mistake("doubled", lambda t: 2 * t.data["x"])])
    assert found == "either squared, or doubled"


def test_numbers_that_differ_never_read_the_same():
    assert core.fmt_pair(-1.5170001, -1.5170002) == ("-1.5170001", "-1.5170002")
    assert core.fmt_pair(0.25, 0.5) == ("0.25", "0.5")


def test_agree_judges_tensors_by_shape_and_the_one_tolerance():
    want = torch.tensor([[1.0, -2.0], [3.0, 0.5]], dtype=torch.float64)
    assert core.agree(want.float(), want)
    assert not core.agree(want.T, want)                     # same shape, other values
    assert not core.agree(want.sum(0), want)                # another shape
    assert not core.agree(want * (1 + 1e-4), want)
    trials = [Trial("on batch 1", got=2 * want, want=want, data={"w": want})]
    assert core.diagnose(trials, [Mistake("doubled", lambda t: 2 * t.data["w"])]) == "doubled"


def test_check_takes_the_shown_name_from_the_arguments(capsys):
    @core.check(name=lambda what, how=None: what)
    def check_piece(what, how=None):
        raise core.NotYet(what)

    assert check_piece("pow") is None and check_piece("exp", how=1) is None
    assert capsys.readouterr().out == "not implemented yet: pow\nnot implemented yet: exp\n"


def test_untouched_names_an_input_changed_in_place_and_the_statement_that_did_it():
    acts = {"logits": torch.randn(4, 5), "h": torch.randn(4, 3)}
    before = core.copies({"acts": acts})
    cell = 'p = acts["logits"].detach()\np.exp_()\ndlogits = p / p.sum(1, keepdim=True)\n'
    exec(cell, {"acts": acts})
    assert core.changed({"acts": acts}, before) == ['acts["logits"]']
    with pytest.raises(core.Refused, match=r'^your cell changed acts\["logits"\] in place: '
                       r'`p = acts\["logits"\]\.detach\(\)` makes no copy \(\.detach\(\) '
                       r"shares its storage\), so `p\.exp_\(\)` changes"):
        core.untouched("your cell", {"acts": acts}, before, cell)
    with pytest.raises(core.Refused, match="or on a tensor that shares its storage"):
        core.untouched("your cell", {"acts": acts}, before)   # no source: the class alone
    fresh = {"x": torch.tensor([float("nan"), 1.0])}
    core.untouched("your cell", fresh, core.copies(fresh))     # nan stays nan: unchanged
    core.untouched("your cell", {"x": fresh["x"].float()},     # a referee within rounding
                   {"x": fresh["x"].double()})
    mask = {"mask": torch.tensor([True, False]), "idx": torch.tensor([2, 0])}
    before = core.copies(mask)
    assert core.changed(mask, before) == []                    # masks and indices: exact
    mask["mask"][1] = True
    mask["idx"] += 1
    assert core.changed(mask, before) == ["mask", "idx"]


def test_rebracketed_gives_every_other_bracketing_of_one_chain():
    assert list(core.rebracketed("1 - o**2")) == ["(1 - o) ** 2"]
    assert list(core.rebracketed("a * b * c")) == []   # the same product: no slip
    assert list(core.rebracketed("1 / (1 + math.exp(-n))")) == ["1 / 1 + math.exp(-n)"]
    slips = list(core.rebracketed("(1 / x) * g"))
    assert slips == ["1 / (x * g)"]
    assert "-0.5 * a ** (-1) / 2" in core.rebracketed("-0.5 * a ** (-1 / 2)")
    assert "(-b - math.sqrt(b ** 2 - 4 * a * c)) / 2 * a" in core.rebracketed(
        "(-b - math.sqrt(b**2 - 4*a*c)) / (2 * a)")


def test_renamed_swaps_one_use_of_a_variable_at_a_time():
    assert list(core.renamed("3 * math.cos(3 * b)", "abc")) == [
        ("b", "a", "3 * math.cos(3 * a)"), ("b", "c", "3 * math.cos(3 * c)")]


def test_an_observed_mistake_speaks_for_the_causes_it_cannot_be_told_from():
    trials = [core.Trial("x", [0.0, 1.0], [2.0, 1.0]), core.Trial("y", [0.0, 3.0], [5.0, 3.0])]
    unchanged = core.Mistake("x.grad is never changed", lambda t: [0.0, t.want[1]],
                             observed=True)
    own = core.Mistake("multiplied by its own gradient, 0", lambda t: [0.0, t.want[1]])
    other = core.Mistake("something else", lambda t: [1.0, t.want[1]])
    assert core.diagnose(trials, [own, unchanged, other]) == "x.grad is never changed"
    plain = core.Mistake("x.grad is never changed", lambda t: [0.0, t.want[1]])
    assert core.diagnose(trials, [own, plain]) == (
        "either multiplied by its own gradient, 0, or x.grad is never changed")
    apart = core.Mistake("multiplied by 0 once", lambda t: [0.0 if t.shown == "x" else 9.0,
                                                            t.want[1]])
    assert core.diagnose(trials, [apart, unchanged]) == "x.grad is never changed"


def test_a_cell_runs_again_on_copies_without_its_check_and_without_touching_the_notebook():
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    try:
        shell.user_ns["params"] = {"W": torch.ones(2, 2)}
        shell.run_cell(store_history=True, raw_cell="calls = []\n")
        shell.run_cell(store_history=True, raw_cell=(
            "calls.append(1)\nW2 = params['W']\nW2 *= 3\nprint('noise')\n"
            "answer = W2.sum()\nfrom math import sqrt\n"
            "calls.append(answer)   # a check would be called here\n"))
        statements, namespace = core.cell_statements("answer")
        assert [ast.unparse(s) for s in statements] == [
            "W2 = params['W']", "W2 *= 3", "answer = W2.sum()"]
        assert [s.text for s in statements] == [                  # as written, for quoting
            "W2 = params['W']", "W2 *= 3", "answer = W2.sum()"]
        space = core.run_again(statements, core.isolated(namespace, params={"W": torch.eye(2)}))
        assert float(space["answer"]) == 6.0
        assert float(namespace["answer"]) == 12.0 and namespace["params"]["W"][0, 1] == 3.0
        assert len(namespace["calls"]) == 2                       # nothing ran twice
        copy = core.isolated(namespace)
        copy["params"]["W"] += 1                                  # dicts of tensors are copies
        assert namespace["params"]["W"][0, 0] == 3.0
        with core.rerunning():
            assert core.cell_statements("answer") is None         # no re-run inside a re-run
        assert core.run_again([ast.parse("x = 1 / 0").body[0]], {}) is None
        shell.run_cell(store_history=True,
                       raw_cell="class V:\n    grad = 0.0\nv = V()\nv.grad = 2.0\nd = v.grad * 3\n")
        assert core.cell_statements("d")[0]                       # reads v: fine
        shell.run_cell(store_history=True, raw_cell="v.grad = 5.0\nd = v.grad * 3\n")
        assert core.cell_statements("d") is None                  # would change the notebook's v
    finally:
        InteractiveShell.clear_instance()


def test_a_cell_is_found_in_the_history_of_the_namespace_given():
    """A caller's own namespace (a copy with a name replaced, a test's dict): its In is read,
    with no shell running or instead of the shell's, magics transformed all the same."""
    namespace = {"In": ["", "a = 2\n%time z = 0\nd = a * 3\n", "check(d)"], "a": 5}
    statements, space = core.cell_statements("d", namespace=namespace)
    assert [ast.unparse(s) for s in statements][0] == "a = 2" and space is namespace
    assert float(core.run_again(statements, core.isolated(space))["d"]) == 6
    assert core.cell_statements("d") is None                      # no shell, no namespace
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    try:
        shell.run_cell(store_history=True, raw_cell="d = 1\n")
        assert ast.unparse(core.cell_statements("d")[0][0]) == "d = 1"
        assert core.cell_statements("d", namespace=namespace)[1] is namespace
    finally:
        InteractiveShell.clear_instance()
