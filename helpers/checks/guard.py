"""What the exercise editions (``exercises/``, written by ``scripts/editions.py``) need at run time.

In an edition each answer is a ``# TODO`` cell: the names it must define start as ``None``
and the functions it must write raise ``NotImplementedError``. A later cell that needs
an answer runs under ``if filled_in(name=name, ...):``, so an unfinished edition still
runs from top to bottom and says which answer is missing instead of failing with a
``NameError`` or ``TypeError``.

A function or class that later cells build on has a finished version in ``helpers``. After
its check cell the edition runs ``add = fall_back("add", add, "helpers.finished.value.add")``
(then re-attaches it, ``Value.__add__ = add``): while the TODO is open the finished version
stands in and one line says so; once the learner has written it, theirs is used.
"""

import importlib
import inspect

__all__ = ["fall_back", "filled_in", "is_todo"]

# What the latest guard saw, for helpers.checks.feedback's outcome of the cell: {answers, missing}.
last_guard = {}
# The finished functions that fall_back handed out: still TODOs as far as a guard is concerned.
_STAND_INS = {}   # id -> the object


def _is_stub_function(fn):
    """A function whose body does nothing but ``raise NotImplementedError``."""
    code = getattr(fn, "__code__", None)
    return code is not None and code.co_names == ("NotImplementedError",)


def _is_open(fn):
    return (inspect.isfunction(fn) and _is_stub_function(fn)) or id(fn) in _STAND_INS


def _open_methods(cls):
    """The names of the methods ``cls`` defines that are stubs (or stand-ins from fall_back)."""
    return [name for name, member in vars(cls).items()
            if _is_open(getattr(member, "__func__", member))]


def is_todo(value):
    """True for what a ``# TODO`` cell leaves behind: ``None``, a function that only raises
    ``NotImplementedError``, or a class with such a method (a finished version that
    :func:`fall_back` put in its place counts as still to do)."""
    if value is None:
        return True
    if inspect.isclass(value):
        return bool(_open_methods(value))
    return _is_open(value)


def _finished(path):
    """The object at the dotted ``path`` (``helpers.finished.value.add``)."""
    module, _, name = path.rpartition(".")
    if not module:
        raise ValueError(f"fall_back: {path!r} is not a dotted path such as "
                         "helpers.finished.value.add")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"fall_back: no finished version at {path!r} ({err})") from None


def fall_back(name, value, finished):
    """``value`` when the learner has written it; else the finished version at the dotted
    path ``finished``, with one line saying so.

    For a function, that is the finished function. For a class, the learner's class is kept
    and only its stub methods are replaced by the finished class's (the methods already
    written stay the learner's); the class is returned.
    """
    if not is_todo(value):
        return value
    stand_in = _finished(finished)
    module, _, short = finished.rpartition(".")
    source = f"from {module}" if short == name else f"({finished})"
    if inspect.isclass(value):
        if not inspect.isclass(stand_in):
            raise TypeError(f"fall_back: `{name}` is a class, but {finished} is not")
        methods = _open_methods(value)
        for method in methods:
            owner = next((k for k in stand_in.__mro__ if method in vars(k)), None)
            if owner is None or owner is object:
                raise TypeError(f"fall_back: {finished} has no method {method!r} to stand in "
                                f"for `{name}.{method}`")
            member = vars(owner)[method]
            stand_in_method = getattr(member, "__func__", member)
            _STAND_INS[id(stand_in_method)] = stand_in_method
            setattr(value, method, member)
        written = [m for m, v in vars(value).items()
                   if inspect.isfunction(getattr(v, "__func__", v)) and m not in methods]
        if written:   # some methods are the learner's: name the ones that are not
            names = ", ".join(f"`{name}.{m}`" for m in methods)
            print(f"using the finished {names} from {finished} for now")
        else:
            print(f"using the finished `{name}` {source} for now")
        return value
    if value is not None and not inspect.isfunction(value):
        raise TypeError(f"fall_back: `{name}` should be a function or a class, "
                        f"not {type(value).__name__}")
    _STAND_INS[id(stand_in)] = stand_in
    print(f"using the finished `{name}` {source} for now")
    return stand_in


def filled_in(**answers):
    """True when every answer has been written; otherwise say which are missing, return False.

    ``filled_in(dlogits=dlogits)`` prints ``not implemented yet: dlogits (...)`` while
    ``dlogits`` is still the ``None`` of its TODO cell.
    """
    if not answers:
        raise TypeError("filled_in: name at least one answer, e.g. filled_in(dlogits=dlogits)")
    missing = [name for name, value in answers.items() if is_todo(value)]
    last_guard.update(answers=list(answers), missing=missing)
    if missing:
        where = "its TODO cell" if len(missing) == 1 else "their TODO cells"
        print(f"not implemented yet: {', '.join(missing)} "
              f"(fill in {where}, then run this cell again)")
    return not missing
