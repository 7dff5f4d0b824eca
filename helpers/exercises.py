"""What the exercise editions (``exercises/``, written by ``scripts/editions.py``) need at run time.

In an edition each answer is a ``# TODO`` cell: the names it must define start as ``None``
and the functions it must write raise ``NotImplementedError``. A later cell that needs
an answer runs under ``if filled_in(name=name, ...):``, so an unfinished edition still
runs from top to bottom and says which answer is missing instead of failing with a
``NameError`` or ``TypeError``.
"""

import inspect

__all__ = ["filled_in", "is_todo"]


def _is_stub_function(fn):
    """A function whose body does nothing but ``raise NotImplementedError``."""
    code = getattr(fn, "__code__", None)
    return code is not None and code.co_names == ("NotImplementedError",)


def is_todo(value):
    """True for what a ``# TODO`` cell leaves behind: ``None``, a function that only raises
    ``NotImplementedError``, or a class with such a method."""
    if value is None:
        return True
    if inspect.isclass(value):
        members = vars(value).values()
        functions = [getattr(m, "__func__", m) for m in members]
        return any(inspect.isfunction(f) and _is_stub_function(f) for f in functions)
    return inspect.isfunction(value) and _is_stub_function(value)


def filled_in(**answers):
    """True when every answer has been written; otherwise say which are missing, return False.

    ``filled_in(dlogits=dlogits)`` prints ``not implemented yet: dlogits (...)`` while
    ``dlogits`` is still the ``None`` of its TODO cell.
    """
    if not answers:
        raise TypeError("filled_in: name at least one answer, e.g. filled_in(dlogits=dlogits)")
    missing = [name for name, value in answers.items() if is_todo(value)]
    if missing:
        where = "its TODO cell" if len(missing) == 1 else "their TODO cells"
        print(f"not implemented yet: {', '.join(missing)} "
              f"(fill in {where}, then run this cell again)")
    return not missing
