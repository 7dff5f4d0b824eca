"""Write the exercise editions: every lecture with its answers replaced by ``# TODO`` cells.

    python scripts/editions.py          # rewrite what is out of date
    python scripts/editions.py --check  # list what is out of date; exit 1 if anything is

``lectures/NN_slug.ipynb`` becomes ``exercises/NN_slug.ipynb``. Each code cell tagged
``solution`` becomes a TODO cell that keeps only what the rest of the notebook needs
from it: the names later cells read (set to ``None``) and the functions and classes
they call (signature and docstring kept, body ``raise NotImplementedError``). A later
cell that needs an answer, directly or through a cell that needed one, runs under

    if filled_in(dlogits=dlogits):
        <the cell as in the lecture>

(``helpers.checks.guard.filled_in``), which prints "not implemented yet: dlogits" while
the TODO is open. So an unfinished edition runs top to bottom, and the checks run as
soon as their answers are written. Everything else is the lecture, outputs cleared.

A solution cell whose functions or classes later cells build on names their finished
versions in its metadata, ``"finished": {"add": "helpers.finished.value.add"}``. Its check (the
next cell, when that cell reads an answer or the class it is attached to) is guarded as
above; then comes a generated cell, tagged ``fallback``,

    add = fall_back("add", add, "helpers.finished.value.add")
    Value.__add__ = add

(``helpers.checks.guard.fall_back``): while ``add`` is a TODO the finished one stands in and
a line says so, and the cells after it are not guarded on ``add``.

The edition asks before it tells. A solution cell's metadata may hold hints,
``"hints": [{"title": "...", "text": "..."}, ...]`` (markdown, rising in strength): the edition
shows them in a markdown cell right after the TODO cell, each a collapsed
``<details><summary>Hint 1 · title</summary>`` block. A lecture cell tagged ``answer`` gives a
blank's answer away (a derivation that ends in it, code with its expression): the edition moves
it after that blank's check (and fallback), under a generated "Worked answer" line. It belongs
to the solution cell whose check has not run yet when it is reached, else to the next solution
cell. A cell's ``edition_source`` metadata, where present, is its source in the edition.

:func:`edition_of` makes an edition as a list of passes over the lecture's cells, one for
each of the steps above, in the order they run. The analysis uses ``ast`` only (not
``symtable``, whose scopes differ between Python versions), so every supported Python
writes the same editions.
"""

import ast
import importlib.util
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"

_spec = importlib.util.spec_from_file_location("notebooks", ROOT / "scripts" / "notebooks.py")
notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(notebooks)

SOLUTION_TAG = "solution"
TODO_TAG = "todo"
IMPORT_LINE = "from helpers.checks.guard import filled_in  # the exercise edition's guard"
FALLBACK_IMPORT_LINE = ("from helpers.checks.guard import fall_back, filled_in  "
                        "# the exercise edition's guard and stand-ins")
FALLBACK_TAG = "fallback"
FINISHED_KEY = "finished"   # a solution cell's metadata: {name: dotted path of the finished one}
HINTS_KEY = "hints"         # a solution cell's metadata: [{"title": ..., "text": ...}, ...]
EDITION_SOURCE_KEY = "edition_source"   # any cell's metadata: its source in the edition
# A solution cell's metadata: lines of its answer that the text before it may show (a rule
# taught earlier that the learner applies); tests/test_editions.py's scan lets them pass.
MAY_SHOW_KEY = "may_show"
ANSWER_TAG = "answer"       # a lecture cell that gives a blank's answer: moved after its check
HINTS_TAG = "hints"
WORKED_TAG = "worked-answer"
WORKED_LINE = ("**Worked answer.** Read on once your check passes, or when the hints above "
               "were not enough.")
GUARD = re.compile(r"^if filled_in\((?P<args>[^)]*)\):\n")
STUB_BODY = "raise NotImplementedError  # TODO"
MAX_LINE = 100
# Operator methods a solution may attach to a class, and the operator that calls them.
OPERATORS = {
    "add": ast.Add, "sub": ast.Sub, "mul": ast.Mult, "truediv": ast.Div,
    "floordiv": ast.FloorDiv, "mod": ast.Mod, "pow": ast.Pow, "matmul": ast.MatMult,
}
DUNDER = re.compile(r"^__(r?)(" + "|".join(OPERATORS) + r")__$")


def edition(lecture):
    """The exercise edition of ``lecture``, as the text of a notebook."""
    nb = nbformat.read(lecture, as_version=4)
    lecture_rel = lecture.relative_to(ROOT).as_posix()
    return edition_of(nb, lecture_rel, f"exercises/{lecture.name}")


def edition_of(nb, lecture_rel, edition_rel):
    """The exercise edition of the lecture notebook ``nb`` (at ``lecture_rel`` in the
    repository; the edition goes to ``edition_rel``), as the text of a notebook."""
    cells = nb.cells
    cells = use_edition_sources(cells)
    cells = blank_solutions(cells, lecture_rel)
    cells = add_fallbacks(cells)
    cells = guard_waiting_cells(cells, lecture_rel)
    cells = import_the_guard(cells)
    cells = add_hints(cells)
    cells = move_answers_after_checks(cells)
    cells = mark_imports_for_answers(cells)
    cells = add_title_note(cells, lecture_rel, edition_rel)
    cells = strip_outputs(cells)
    cells = drop_generator_metadata(cells)
    nb.cells = cells
    return nbformat.writes(nb) + "\n"


# --- the passes, in the order they run ------------------------------------------------------


def use_edition_sources(cells):
    """A cell's ``edition_source`` metadata becomes its source: the lecture words the edition."""
    for cell in cells:
        if EDITION_SOURCE_KEY in cell.metadata:
            cell.source = cell.metadata.pop(EDITION_SOURCE_KEY)
    return cells


def blank_solutions(cells, lecture_rel):
    """Each solution cell becomes a TODO cell keeping what later cells read, as None or stubs."""
    uses = [Uses(c.source) if c.cell_type == "code" else None for c in cells]
    if not any(is_solution(c) for c in cells):
        raise ValueError(f"{lecture_rel}: no cell tagged {SOLUTION_TAG!r}")
    for i, cell in enumerate(cells):
        if not is_solution(cell):
            continue
        where = f"{lecture_rel}, cell {i}"
        finished = finished_names(cell, where)
        later_reads = set().union(*(u.reads for c, u in zip(cells[i + 1:], uses[i + 1:],
                                                             strict=True)
                                    if u is not None and not is_solution(c)))
        cell.source, answers = todo_cell(cell.source, later_reads | finished.keys())
        if not set(finished) <= set(answers):
            raise ValueError(f"{where}: {', '.join(sorted(set(finished) - set(answers)))} "
                             f"has no method to leave blank; drop it from {FINISHED_KEY!r}")
        hints_of(cell.metadata.get(HINTS_KEY, []), where)   # checked here, shown by add_hints
        cell.metadata["tags"] = [t for t in cell.metadata["tags"] if t != SOLUTION_TAG] + [TODO_TAG]
    return cells


def add_fallbacks(cells):
    """After a TODO with finished pieces, a cell where they stand in: later cells need not wait."""
    # The fallback goes after the TODO's check when the next code cell is one, else right after
    # the TODO; cells tagged answer are moved away later (move_answers_after_checks) and skipped.
    result = []
    pending = None    # the fallback cell of the TODO cell just before
    for cell in cells:
        moves = ANSWER_TAG in _tags(cell)   # moved after the check later: never the check
        if (cell.cell_type != "code" and not moves) or is_todo_cell(cell):
            if pending is not None:   # not a check: the fallback right after the TODO
                result.append(pending.cell)
                pending = None
        result.append(cell)
        if cell.cell_type != "code":
            continue
        if is_todo_cell(cell):
            if finished_of(cell):
                pending = _Pending(cell)
            continue
        if notebooks.is_setup_cell(cell) or pending is None or moves:
            continue
        if pending.is_read_by(Uses(cell.source)):   # the check: the fallback after it
            result.append(pending.cell)
        else:                                         # not a check: right after the TODO
            result.insert(-1, pending.cell)
        pending = None
    if pending is not None:
        result.append(pending.cell)
    return result


def guard_waiting_cells(cells, lecture_rel):
    """A cell needing an open answer runs under ``if filled_in(...)``: open TODOs stop nothing."""
    # A cell needs an answer when it reads it, reads a name that a cell needing it set or changed,
    # uses a method a TODO attaches, or is the check of a finished piece (before its fallback).
    missing = {}      # name -> the answers it waits for
    order = []        # every answer, in the order of the notebook
    methods = {}      # attribute (e.g. "relu", "__rsub__") -> the stub that provides it
    stand_ins = []    # the finished answers of the TODO cell whose check may come next
    i = -1            # the cell's index in the lecture (the fallback cells are not in it)
    for cell in cells:
        if FALLBACK_TAG in _tags(cell):
            stand_ins = []
            continue
        i += 1
        if cell.cell_type != "code" or notebooks.is_setup_cell(cell):
            continue
        if is_todo_cell(cell):
            finished, answers = finished_of(cell), answers_of(cell)
            for name in answers:
                if name in finished:
                    missing.pop(name, None)
                else:
                    missing[name] = [name]
                order.append(name)
            for target, name in _attached(cell.source):
                if name in finished:
                    methods.pop(target.attr, None)
                else:
                    methods[target.attr] = name
            stand_ins = [a for a in answers if a in finished]
            continue
        use = Uses(cell.source)
        needs = []
        for name in sorted(use.reads & missing.keys()):
            needs += missing[name]
        needs += [stub for attribute, stub in methods.items() if _provides(use, attribute)]
        if ANSWER_TAG not in _tags(cell):   # the check, if before its fallback, waits too
            needs += stand_ins
        needs = [a for a in dict.fromkeys(order) if a in needs]
        if needs:   # what this cell sets or changes waits for the same answers
            # the lecture's outputs are still there: strip_outputs runs last
            if any(o.output_type == "execute_result" for o in cell.get("outputs", [])):
                raise ValueError(f"{lecture_rel}, cell {i}: under `if filled_in(...)` its last "
                                 "value would not be shown; write display(...) in the lecture")
            cell.source = guard(cell.source, needs)
            for name in use.changes:
                missing[name] = needs
        else:       # a name set afresh no longer waits for anything
            for name in use.sets:
                missing.pop(name, None)
    return cells


def import_the_guard(cells):
    """The set-up cell imports ``filled_in`` (and ``fall_back`` if a fallback cell calls it)."""
    fallbacks = any(FALLBACK_TAG in _tags(c) for c in cells)
    for cell in cells:
        if notebooks.is_setup_cell(cell):
            cell.source = cell.source + "\n" + (FALLBACK_IMPORT_LINE if fallbacks else IMPORT_LINE)
    return cells


def add_hints(cells):
    """After each TODO cell with hints, a markdown cell of them, collapsed: ask before telling."""
    result = []
    for cell in cells:
        result.append(cell)
        hints = cell.metadata.get(HINTS_KEY) if is_todo_cell(cell) else None
        if hints:
            result.append(hints_cell(hints, cell.get("id")))
    return result


def move_answers_after_checks(cells):
    """Each ``answer`` cell moves after its blank's check, under "Worked answer": try, then read."""
    # It belongs to the TODO whose check has not run when it is reached, else to the next TODO.
    owner = {}            # id(answer cell) -> id(its TODO cell), or None while unknown
    waiting, open_todo, answers = [], None, []
    for i, cell in enumerate(cells):
        if is_todo_cell(cell):
            for key in waiting:
                owner[key] = id(cell)
            waiting, open_todo, answers = [], (i, cell), answers_of(cell)
            continue
        if open_todo is not None and check_index(cells, open_todo[0], answers) == i:
            open_todo = None
        if ANSWER_TAG in _tags(cell):
            if open_todo is not None:
                owner[id(cell)] = id(open_todo[1])
            else:
                waiting.append(id(cell))
    result = [c for c in cells if owner.get(id(c)) is None]
    for todo in [c for c in cells if is_todo_cell(c)]:
        answer_cells = [c for c in cells if owner.get(id(c)) == id(todo)]
        if not answer_cells:
            continue
        at = next(i for i, c in enumerate(result) if c is todo)
        check = check_index(result, at, answers_of(todo))
        at = at if check is None else check
        while at + 1 < len(result) and (FALLBACK_TAG in _tags(result[at + 1])
                                        or HINTS_TAG in _tags(result[at + 1])):
            at += 1
        heading = _generated(nbformat.v4.new_markdown_cell(WORKED_LINE), WORKED_TAG,
                             answer_cells[0].get("id"))
        result[at + 1:at + 1] = [heading] + answer_cells
    return result


def mark_imports_for_answers(cells):
    """An import that only the answers use gets ``# noqa: F401``, so that ruff does not flag it."""
    code = [c for c in cells if c.cell_type == "code"]
    # Every name a cell loads, its own imports included (``from x import A`` then ``A()``).
    reads = set().union(*(_loads(ast.parse(_parsable(c.source))) for c in code))
    for cell in code:
        if is_todo_cell(cell):
            continue
        lines = cell.source.split("\n")
        for node in ast.parse(_parsable(cell.source)).body:
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            bound = [a.asname or a.name.split(".")[0] for a in node.names]
            if all(name in reads for name in bound) or "noqa" in lines[node.lineno - 1]:
                continue
            if node.end_lineno != node.lineno:
                raise ValueError(f"write this import on one line: {ast.unparse(node)}")
            lines[node.lineno - 1] += "  # noqa: F401 (for your answers)"
        cell.source = "\n".join(lines)
    return cells


def add_title_note(cells, lecture_rel, edition_rel):
    """The title says "exercise edition", links its own Colab and tells how to work through it."""
    fallbacks = any(FALLBACK_TAG in _tags(c) for c in cells)
    worked = any(WORKED_TAG in _tags(c) for c in cells)
    lines = cells[0].source.split("\n")
    heading = lines[0] + " (exercise edition)"
    source = "\n".join([heading] + lines[1:])
    source = notebooks.BADGE.sub(lambda _: notebooks.colab_badge(edition_rel), source, count=1)
    note = (
        f"> **Exercise edition** of [`{lecture_rel}`](../{lecture_rel}): every answer is "
        "replaced by a `# TODO` cell. Fill each one in and run the cells after it: a check "
        "whose answer is still missing prints *not implemented yet* and is skipped. "
        + ("A piece that later cells build on has a finished version: while its TODO is "
           "open, the cell after its check puts that version in its place and says so in "
           "one line; once you have written yours, yours is used. " if fallbacks else "")
        + "Stuck? Under each TODO cell, hints open one at a time; "
        + ("the worked answer comes after the check. " if worked else
           "the lecture has the worked answers, in the cells at the same places. ")
        + "Written by "
        "`scripts/editions.py`: do not edit this file by hand (see `exercises/README.md`)."
    )
    badge_end = notebooks.BADGE.search(source).end()
    cells[0].source = source[:badge_end] + "\n\n" + note + source[badge_end:]
    return cells


def strip_outputs(cells):
    """Outputs and execution counts go: the edition starts unrun."""
    for cell in cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return cells


def drop_generator_metadata(cells):
    """A TODO cell loses the metadata that held its answer's hints, finished pieces and folding."""
    for cell in cells:
        if is_todo_cell(cell):
            for key in ("jupyter", FINISHED_KEY, MAY_SHOW_KEY, HINTS_KEY):
                cell.metadata.pop(key, None)
    return cells


# --- what the passes read: solution and TODO cells, answers, checks -------------------------


def is_solution(cell):
    return cell.cell_type == "code" and SOLUTION_TAG in _tags(cell)


def is_todo_cell(cell):
    return TODO_TAG in _tags(cell)


def _tags(cell):
    return cell.metadata.get("tags", [])


def answers_of(todo):
    """The answers of a TODO cell: the names it assigns or defines, in its order."""
    return _assigned_in_order(ast.parse(todo.source))


def finished_of(todo):
    """``{name: dotted path}`` of a TODO cell's finished pieces (checked by blank_solutions)."""
    return todo.metadata.get(FINISHED_KEY, {})


def check_index(cells, todo_index, answers):
    """The index of the check of the TODO cell at ``todo_index``: the first later cell that
    waits for one of its ``answers``; None when no cell does before the next TODO cell."""
    for i in range(todo_index + 1, len(cells)):
        if is_todo_cell(cells[i]):
            return None
        if cells[i].cell_type == "code" and set(guarded_answers(cells[i].source)) & set(answers):
            return i
    return None


def _attached(todo_source):
    """``(target, name)`` for each ``Class.attribute = name`` of a TODO cell."""
    return [(target, node.value.id) for node in ast.parse(todo_source).body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)
            for target in node.targets if isinstance(target, ast.Attribute)]


def _provides(use, attribute):
    """Whether the cell that ``use`` describes reads ``attribute`` or calls it as an operator."""
    return attribute in use.attributes or bool(DUNDER.match(attribute)
                                               and use.calls_operator(attribute))


class _Pending:
    """The fallback cell of a TODO cell, waiting for its place: after the check, if there is one."""

    def __init__(self, todo):
        finished = finished_of(todo)
        self.cell = fallback_cell(todo.source, finished, todo.get("id"))
        self.names = [a for a in answers_of(todo) if a in finished]
        attached = [target for target, name in _attached(todo.source) if name in finished]
        self.bases = set().union(*(_loads(target) for target in attached))   # the classes
        self.attributes = {target.attr for target in attached}

    def is_read_by(self, use):
        """Whether a cell reads the answers, the classes they are attached to, or the
        attributes and operators they provide: then it is the TODO's check."""
        return bool(use.reads & (set(self.names) | self.bases)) or any(
            _provides(use, attribute) for attribute in self.attributes)


def finished_names(cell, where="a solution cell"):
    """The ``finished`` metadata of a solution cell, ``{name: dotted path}``, checked: the
    functions and classes that get a stand-in when the learner leaves them blank."""
    finished = cell.metadata.get(FINISHED_KEY, {})
    example = '{"add": "helpers.finished.value.add"}'
    if not isinstance(finished, dict) or not all(
            isinstance(k, str) and k.isidentifier() and isinstance(v, str)
            and re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+", v) for k, v in finished.items()):
        raise ValueError(f"{where}: metadata {FINISHED_KEY!r} must map each name to the dotted "
                         f"path of its finished version, e.g. {example}; got {finished!r}")
    defined = {node.name for node in ast.parse(_parsable(cell.source)).body
               if isinstance(node, ast.FunctionDef | ast.ClassDef)}
    unknown = sorted(set(finished) - defined)
    if unknown:
        raise ValueError(f"{where}: metadata {FINISHED_KEY!r} names {', '.join(unknown)}, which "
                         "the cell does not define with def or class at its top level")
    return finished


def fallback_cell(todo_source, finished, cell_id=None):
    """The generated cell after a TODO's check: each name in ``finished`` (in the order of
    the TODO cell) falls back to its finished version while it is a TODO, then the TODO
    cell's lines that attach those names to a class (``Value.__add__ = add``) run again."""
    tree = ast.parse(todo_source)
    names = [n for n in _assigned_in_order(tree) if n in finished]
    lines = ["# Generated for the exercise edition: a finished version stands in for an open TODO."]
    for name in names:
        line = f'{name} = fall_back("{name}", {name}, "{finished[name]}")'
        if len(line) > MAX_LINE:
            line = f'{name} = fall_back(\n    "{name}", {name}, "{finished[name]}"\n)'
        lines.append(line)
    for node in tree.body:
        if _attaches(node, names):
            lines.append(ast.get_source_segment(todo_source, node))
    return _generated(nbformat.v4.new_code_cell("\n".join(lines)), FALLBACK_TAG, cell_id)


def _attaches(node, names):
    """Whether ``node`` is ``Class.attribute = name`` for one of ``names``."""
    return (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)
            and node.value.id in names
            and all(isinstance(t, ast.Attribute) for t in node.targets))


def hints_of(hints, where="a solution cell"):
    """The ``hints`` metadata of a solution cell, checked: a list of {"title", "text"}."""
    if not isinstance(hints, list) or not all(
            isinstance(h, dict) and set(h) == {"title", "text"}
            and all(isinstance(v, str) and v.strip() for v in h.values()) for h in hints):
        raise ValueError(f"{where}: metadata {HINTS_KEY!r} must be a list of "
                         '{"title": "...", "text": "..."} with both non-empty; got '
                         f"{hints!r:.200}")
    return hints


def hints_cell(hints, cell_id=None):
    """The markdown cell of collapsed hints shown right after a TODO cell."""
    blocks = [f"<details><summary>Hint {k} · {h['title'].strip()}</summary>\n\n"
              f"{h['text'].strip()}\n\n</details>" for k, h in enumerate(hints, start=1)]
    source = "**Stuck?** Open one hint at a time.\n\n" + "\n\n".join(blocks)
    return _generated(nbformat.v4.new_markdown_cell(source), HINTS_TAG, cell_id)


def _generated(cell, tag, cell_id):
    cell.metadata["tags"] = [tag]
    if cell_id is None:
        del cell["id"]
    else:
        cell.id = f"{cell_id}-{tag}"[:64]
    return cell


# --- the TODO cell -------------------------------------------------------------------------


def _lines(source, start, end):
    return source.splitlines()[start - 1:end]


def _header(source, node):
    """The decorators, the ``def``/``class`` line(s) and the docstring of ``node``."""
    first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
    body = node.body
    has_doc = (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
               and isinstance(body[0].value.value, str))
    if body[0].lineno == node.lineno:
        raise ValueError(f"write the body of {node.name} on its own lines")
    following = body[0].decorator_list[0] if getattr(body[0], "decorator_list", None) else body[0]
    last = body[0].end_lineno if has_doc else following.lineno - 1
    while not _lines(source, last, last)[0].strip():   # no blank lines before the stub body
        last -= 1
    return _lines(source, first, last), body[1:] if has_doc else body


def _stub(source, node):
    """A function with its body replaced by ``raise NotImplementedError``, or a class with
    every method so replaced."""
    header, body = _header(source, node)
    indent = " " * (body[0].col_offset if body else node.col_offset + 4)
    if isinstance(node, ast.ClassDef):
        methods = [s for s in body if isinstance(s, ast.FunctionDef)]
        parts = ["\n".join(_stub(source, m)) for m in methods]
        return header + "\n\n".join(parts).splitlines()
    return header + [indent + STUB_BODY]


def _has_method(node):
    return any(isinstance(s, ast.FunctionDef) for s in node.body)


def todo_cell(source, needed):
    """The TODO cell that replaces a solution: the names in ``needed`` (what later cells
    read) as ``None``, functions and classes as stubs, and the statements that attach a
    stub to a class (``Value.relu = relu``). Returns (source, answer names)."""
    tree = ast.parse(_parsable(source))
    stubs, attaches = [], []
    stubbed = []      # names, in the order of the cell
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            attached = any(_attaches(s, [node.name]) for s in tree.body)
            if (node.name in needed or attached) and (
                    isinstance(node, ast.FunctionDef) or _has_method(node)):
                stubs.append("\n".join(_stub(source, node)))
                stubbed.append(node.name)
    for node in tree.body:
        if _attaches(node, stubbed):
            attaches.append(ast.get_source_segment(source, node))
    nones = [name for name in _assigned_in_order(tree) if name in needed and name not in stubbed]
    if stubs and nones:
        what = "write the body of each function below, and replace each None with your answer."
    elif stubs:
        what = "write the body of each function below, in place of the raise."
    elif nones:
        what = "replace each None below with your answer."
    else:
        what = "your answer here (the task is above)."
    parts = [f"# TODO: {what}\n"]
    if stubs:
        parts.append("\n\n\n".join(stubs) + "\n")
    if attaches:
        parts.append(("\n\n" if stubs else "") + "\n".join(attaches) + "\n")
    if nones:
        parts.append(("\n\n" if stubs and not attaches else "\n" if attaches else "")
                     + "".join(f"{name} = None\n" for name in nones))
    answers = stubbed + nones
    return "".join(parts).rstrip("\n"), answers


def _assigned_in_order(tree):
    """Names assigned at the top level of a cell (also inside ``with``/``for``/``if``), in
    the order they first appear."""
    names = []

    def add(target):
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store) and \
                    sub.id not in names:
                names.append(sub.id)

    def visit(statements):
        for node in statements:
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    add(t)
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                add(node.target)
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                if node.name not in names:
                    names.append(node.name)
            elif isinstance(node, ast.For):
                add(node.target)
                visit(node.body + node.orelse)
            elif isinstance(node, ast.With):
                for item in node.items:
                    if item.optional_vars is not None:
                        add(item.optional_vars)
                visit(node.body)
            elif isinstance(node, ast.If | ast.While):
                visit(node.body + node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body + node.orelse + node.finalbody)
                for handler in node.handlers:
                    visit(handler.body)

    visit(tree.body)
    return names


# --- the guard around a cell that needs an answer ------------------------------------------


def _string_continuation_lines(source):
    """Line numbers (1-based) that start inside a multi-line string: indenting them would
    change the string."""
    import io
    import tokenize

    inside = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING and token.end[0] > token.start[0]:
            inside.update(range(token.start[0] + 1, token.end[0] + 1))
    return inside


def guard(source, answers):
    """``source`` under ``if filled_in(a=a, ...):``."""
    args = ", ".join(f"{a}={a}" for a in answers)
    line = f"if filled_in({args}):"
    if len(line) > MAX_LINE:
        raise ValueError(f"the guard for {answers} is longer than {MAX_LINE} characters")
    keep = _string_continuation_lines(source)
    body = [("    " + text if text.strip() and number not in keep else text)
            for number, text in enumerate(source.splitlines(), start=1)]
    for number, text in enumerate(body, start=1):
        if len(text) > MAX_LINE and number not in keep:   # pushed over by the indent
            body[number - 1] = text + "  # noqa: E501"
    return line + "\n" + "\n".join(body)


def unguard(source):
    """The lecture's cell from a guarded one (and ``source`` itself when not guarded)."""
    match = GUARD.match(source)
    if not match:
        return source
    keep = _string_continuation_lines(source)
    lines = source[match.end():].splitlines()
    return "\n".join(text[4:] if text.startswith("    ") and number + 1 not in keep else text
                     for number, text in enumerate(lines, start=1))


def guarded_answers(source):
    match = GUARD.match(source)
    return [] if not match else [a.split("=")[0].strip() for a in match["args"].split(",")]


# --- what a cell reads and changes ----------------------------------------------------------


def _parsable(source):
    """The cell's source with IPython magics (``%pip ...``) turned into ``pass``."""
    return re.sub(r"^(\s*)[%!].*$", r"\1pass", source, flags=re.M)


class Uses:
    """What one cell reads and changes, found statically (over-estimated, never under)."""

    def __init__(self, source):
        code = _parsable(source)
        tree = ast.parse(code)
        module = _ScopeWalker(tree).module
        self.reads = _global_reads(module) - _written_before_read(tree)
        self.sets = set(module.bound)
        self.changes = self.sets | _changed_objects(tree)
        self.attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        self.operators = []   # (operator class, whether the left operand is a number)
        for node in ast.walk(tree):
            if isinstance(node, ast.BinOp):
                left = node.left.operand if isinstance(node.left, ast.UnaryOp) else node.left
                self.operators.append((type(node.op), isinstance(left, ast.Constant)))
            elif isinstance(node, ast.AugAssign):
                self.operators.append((type(node.op), False))

    def calls_operator(self, dunder):
        """Whether the cell may call the operator method ``dunder`` (e.g. ``__rsub__``, which
        Python calls for ``1 - value``)."""
        reflected, name = DUNDER.match(dunder).groups()
        return any(op is OPERATORS[name] and (left_is_number or not reflected)
                   for op, left_is_number in self.operators)


class _Scope:
    """One scope of a cell: the module, a function or lambda, a class or a comprehension."""

    def __init__(self, kind, parent):
        self.kind, self.parent = kind, parent
        self.bound, self.loads, self.declared_global = set(), set(), set()
        self.children = []
        if parent is not None:
            parent.children.append(self)


class _ScopeWalker(ast.NodeVisitor):
    """Python's scoping rules, written out with ``ast`` so that the result does not depend on
    the interpreter (``symtable`` in Python 3.12 inlines comprehensions into their scope)."""

    def __init__(self, tree):
        self.module = self.scope = _Scope("module", None)
        self.visit(tree)

    def _in(self, kind, visit_body):
        outer = self.scope
        self.scope = _Scope(kind, outer)
        visit_body()
        self.scope = outer

    def visit_Name(self, node):
        (self.scope.loads if isinstance(node.ctx, ast.Load) else self.scope.bound).add(node.id)

    def visit_Global(self, node):
        self.scope.declared_global.update(node.names)

    def visit_Import(self, node):
        for alias in node.names:
            self.scope.bound.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node):
        self.scope.bound.update(a.asname or a.name for a in node.names if a.name != "*")

    def visit_ExceptHandler(self, node):
        if node.name:
            self.scope.bound.add(node.name)
        self.generic_visit(node)

    def visit_MatchAs(self, node):
        if node.name:
            self.scope.bound.add(node.name)
        self.generic_visit(node)

    visit_MatchStar = visit_MatchAs

    def visit_MatchMapping(self, node):
        if node.rest:
            self.scope.bound.add(node.rest)
        self.generic_visit(node)

    def visit_NamedExpr(self, node):   # binds in the nearest function or the module
        self.visit(node.value)
        scope = self.scope
        while scope.kind == "comprehension":
            scope = scope.parent
        scope.bound.add(node.target.id)

    def _arguments(self, args):
        """Defaults and annotations run outside the function; returns the parameter names."""
        for default in args.defaults + [d for d in args.kw_defaults if d is not None]:
            self.visit(default)
        params = args.posonlyargs + args.args + args.kwonlyargs + [
            a for a in (args.vararg, args.kwarg) if a is not None]
        for param in params:
            if param.annotation is not None:
                self.visit(param.annotation)
        return {param.arg for param in params}

    def visit_FunctionDef(self, node):
        for decorator in node.decorator_list:
            self.visit(decorator)
        params = self._arguments(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self.scope.bound.add(node.name)

        def body():
            self.scope.bound.update(params)
            for statement in node.body:
                self.visit(statement)

        self._in("function", body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        params = self._arguments(node.args)

        def body():
            self.scope.bound.update(params)
            self.visit(node.body)

        self._in("function", body)

    def visit_ClassDef(self, node):
        for expression in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.visit(expression)
        self.scope.bound.add(node.name)
        self._in("class", lambda: [self.visit(statement) for statement in node.body])

    def _comprehension(self, node, *results):
        first, *rest = node.generators
        self.visit(first.iter)   # the outermost iterable runs in the enclosing scope

        def body():
            self.visit(first.target)
            for condition in first.ifs:
                self.visit(condition)
            for generator in rest:
                self.visit(generator)
            for result in results:
                self.visit(result)

        self._in("comprehension", body)

    def visit_ListComp(self, node):
        self._comprehension(node, node.elt)

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node):
        self._comprehension(node, node.key, node.value)


def _global_reads(scope):
    """The global names a cell reads, in its own code or in the functions it defines."""
    names = set(scope.loads) if scope.kind == "module" else {
        name for name in scope.loads if _is_global(scope, name)}
    for child in scope.children:
        names |= _global_reads(child)
    return names


def _is_global(scope, name):
    """Whether ``name``, read in the nested ``scope``, is the module's name."""
    if name in scope.declared_global:
        return True
    if name in scope.bound:
        return False
    scope = scope.parent
    while scope.kind != "module":
        if scope.kind != "class" and name in scope.bound:
            return False
        scope = scope.parent
    return True


def _changed_objects(tree):
    """Names whose object a cell changes in place: ``params["W1"] = ...``, ``p.grad = None``."""
    names = set()
    for node in ast.walk(tree):
        targets = (node.targets if isinstance(node, ast.Assign) else
                   [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For)
                   else [])
        for target in targets:
            for sub in ast.walk(target):
                base = sub
                while isinstance(base, ast.Subscript | ast.Attribute):
                    base = base.value
                if base is not sub and isinstance(base, ast.Name):
                    names.add(base.id)
    return names


def _loads(*nodes):
    return {n.id for node in nodes for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _stores(target):
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _written_before_read(tree):
    """Names the cell sets at the top level before anything in it reads them: the cell does
    not depend on their earlier value (``fig, ax = plt.subplots()`` then ``fig.show()``)."""
    seen, first = set(), set()

    def store(names):
        first.update(names - seen)

    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            seen.update(_loads(stmt.value, *stmt.targets))
            for target in stmt.targets:
                store(_stores(target) if isinstance(target, ast.Name | ast.Tuple) else set())
        elif isinstance(stmt, ast.For):
            seen.update(_loads(stmt.iter))
            store(_stores(stmt.target))
            seen.update(_loads(*stmt.body, *stmt.orelse))
        elif isinstance(stmt, ast.FunctionDef | ast.ClassDef):
            seen.update(_loads(stmt))
            store({stmt.name})
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            store({a.asname or a.name.split(".")[0] for a in stmt.names})
        else:
            seen.update(_loads(stmt))
    return first


# --- the command line ----------------------------------------------------------------------


def edition_path(lecture):
    return EXERCISES / lecture.name


def out_of_date():
    """(lecture, edition) pairs whose edition file is missing or differs from :func:`edition`."""
    stale = []
    for lecture in notebooks.lecture_paths():
        path = edition_path(lecture)
        if not path.exists() or path.read_text(encoding="utf-8") != edition(lecture):
            stale.append((lecture, path))
    lectures = {p.name for p in notebooks.lecture_paths()}
    for path in sorted(EXERCISES.glob("*.ipynb")):
        if path.name not in lectures:
            stale.append((None, path))
    return stale


def _shown(path):
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def main(argv):
    stale = out_of_date()
    if "--check" in argv:
        for lecture, path in stale:
            why = "no such lecture" if lecture is None else "differs from its lecture"
            print(f"out of date: {_shown(path)} ({why}; run python scripts/editions.py)")
        return 1 if stale else 0
    EXERCISES.mkdir(exist_ok=True)
    for lecture, path in stale:
        if lecture is None:
            path.unlink()
            print(f"removed {_shown(path)} (its lecture is gone)")
        else:
            path.write_text(edition(lecture), encoding="utf-8")
            print(f"wrote {_shown(path)}")
    return 0



if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
