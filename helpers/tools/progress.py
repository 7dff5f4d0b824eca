"""A progress bar for long loops (steps done, time left) that leaves nothing behind.

    from helpers.tools.progress import progress

    for step in progress(range(200_000), desc="training"):
        ...

In a Jupyter kernel (JupyterLab, Colab, VS Code) the bar is tqdm's notebook widget
(``tqdm.notebook``, which needs ``ipywidgets``; without it, tqdm's text bar), shown in
a display of its own that is emptied when the loop ends, however it ends (finished,
``break``, an exception, an interrupt). The notebook file then stores an empty display
for it: nothing that differs between runs and nothing nbval compares (it skips widget
views; see tests/nbval_sanitize.cfg). In a terminal it is tqdm's text bar on stderr,
erased at the end. The object returned is the tqdm bar itself, so ``set_postfix`` and
the rest of tqdm's interface work on it.

In a notebook the bar is redrawn at most about 100 times (every 1% of the steps, and at
most twice a second), however long the loop runs. Every redraw is a few messages from
the kernel, and nbval, as CI runs it, reads them only after the cell has finished: past a
few thousand waiting messages the kernel drops the rest, among them the one that says
the cell is done, and nbval fails the cell with "Timeout of 5 seconds exceeded waiting
for output" (lecture 08's 200,000 steps, refreshed every 0.1 s as tqdm does by default,
came close enough to fail now and then).
"""

import sys
import warnings
from collections.abc import Iterable

from tqdm import std

__all__ = ["progress"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _in_kernel():
    """Whether this runs in a Jupyter kernel (a notebook) rather than a terminal."""
    zmqshell = sys.modules.get("ipykernel.zmqshell")   # imported by every Jupyter kernel
    if zmqshell is None:
        return False
    from IPython import get_ipython

    # Colab's shell is a subclass; a terminal IPython that imported ipykernel is not one
    return isinstance(get_ipython(), zmqshell.ZMQInteractiveShell)


def _notebook_tqdm():
    """tqdm's widget bar class, or None where ipywidgets is missing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tqdm warns about its own notebook mode and ipywidgets
        from tqdm import notebook
    return notebook.tqdm if notebook.IProgress is not None else None


def _empty_display(handle):
    handle.update({}, raw=True)


def _widget_bar_class():
    base = _notebook_tqdm()
    if base is None:
        return None

    class WidgetBar(base):
        """tqdm's widget, displayed through a handle that close() empties."""

        def __init__(self, *args, **kwargs):
            from IPython.display import display

            super().__init__(*args, display=False, **kwargs)
            if not self.disable:
                view = {"version_major": 2, "version_minor": 0,
                        "model_id": self.container.model_id}
                self._handle = display({WIDGET_VIEW: view}, raw=True, display_id=True)

        def close(self):
            if self.disable:
                return
            super().close()
            _empty_display(self._handle)
            for widget in (*self.container.children, self.container):
                widget.close()

    return WidgetBar


class _DisplayLine:
    """A file for tqdm's text bar that shows its latest line in a notebook display."""

    def __init__(self):
        from IPython.display import display

        self.handle = display({}, raw=True, display_id=True)
        self.line = ""

    def write(self, text):
        self.line = text.rsplit("\r", 1)[-1] if "\r" in text else self.line + text
        if self.line.strip():
            self.handle.update({"text/plain": self.line.rstrip()}, raw=True)

    def flush(self):
        pass


class _DisplayTextBar(std.tqdm):
    """tqdm's text bar in a notebook display (no ipywidgets), emptied by close()."""

    def __init__(self, *args, **kwargs):
        self._line = None if kwargs.get("disable") else _DisplayLine()
        super().__init__(*args, file=self._line, ncols=100, **kwargs)

    def close(self):
        if self.disable:
            return
        super().close()
        _empty_display(self._line.handle)


def progress(iterable, desc=None, total=None, unit="it", disable=False):
    """``iterable`` wrapped in a progress bar: steps done, rate and time left.

    The arguments are tqdm's: ``desc`` labels the bar, ``total`` gives the number of
    steps where ``len(iterable)`` cannot, ``unit`` names a step, ``disable=True``
    shows nothing. The bar disappears when the loop ends (see the module docstring).
    """
    if not isinstance(iterable, Iterable):
        hint = f"; for {iterable} steps write range({iterable})" \
            if isinstance(iterable, int) else ""
        raise TypeError(f"progress() wraps an iterable such as range(n); "
                        f"got {type(iterable).__name__}{hint}")
    if desc is not None and not isinstance(desc, str):
        raise TypeError(f"desc must be a string such as 'training'; got {desc!r}")
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise ValueError(f"total must be a non-negative integer (the number of steps); "
                         f"got {total!r}")
    options = {"desc": desc, "total": total, "unit": unit, "disable": disable, "leave": False}
    if not _in_kernel():
        return std.tqdm(iterable, **options)
    bar_class = _widget_bar_class() or _DisplayTextBar
    return bar_class(iterable, **options, **_few_redraws(iterable, total))


def _few_redraws(iterable, total):
    """tqdm options that redraw a notebook bar about 100 times at most (module docstring)."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    # an explicit miniters turns off tqdm's own adjustment; an infinite maxinterval stops
    # its monitor thread from going back to a redraw on every step after a slow stretch
    return {"miniters": max(1, -(-(total or 0) // 100)), "mininterval": 0.5,
            "maxinterval": float("inf")}
