"""helpers.tools.progress: a bar while the loop runs, nothing left behind (terminal or notebook)."""

import subprocess
import sys

import nbformat
import pytest
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient

from helpers.tools import progress as progress_module
from helpers.tools.progress import progress

LOOP = (
    "import time\n"
    "from helpers.tools.progress import progress\n"
    "print('before')\n"
    "for step in progress(range(40), desc='training'):\n"
    "    time.sleep(0.02)\n"
    "print('after', step)\n"
)
NO_WIDGETS = "import sys\nsys.modules['ipywidgets'] = None  # as if it were not installed\n"


# ---- terminal -------------------------------------------------------------------------------

def test_yields_every_item_in_order_and_keeps_the_length():
    bar = progress(iter("abc"), total=3, desc="letters")
    assert len(bar) == 3
    assert list(bar) == ["a", "b", "c"]
    assert list(progress(range(5))) == [0, 1, 2, 3, 4]


def test_terminal_bar_shows_steps_and_time_left_then_erases_itself(capsys):
    for _ in progress(range(7), desc="training", unit="step"):
        pass
    err = capsys.readouterr().err
    assert "training:" in err and "0/7" in err and "?" in err  # time left unknown at the start
    assert err.rsplit("\r", 2)[-2].strip() == ""  # the last thing written is a blank line


def test_break_closes_the_bar(capsys):
    bar = progress(range(100), desc="x")
    for step in bar:
        if step == 3:
            break
    assert bar.disable  # tqdm marks a closed bar disabled
    assert capsys.readouterr().err.rsplit("\r", 2)[-2].strip() == ""


def test_disable_shows_nothing(capsys):
    assert list(progress(range(3), disable=True)) == [0, 1, 2]
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("bad, error, words", [
    ((5,), TypeError, "range(5)"),
    ((None,), TypeError, "NoneType"),
    ((range(3), 3), TypeError, "desc must be a string"),
])
def test_bad_arguments_are_named(bad, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        progress(*bad)


@pytest.mark.parametrize("total", [-1, 2.5, True])
def test_bad_total_is_named(total):
    with pytest.raises(ValueError, match="total must be a non-negative integer"):
        progress(range(3), total=total)


def test_outside_a_kernel_it_is_tqdms_text_bar():
    import ipykernel.zmqshell  # noqa: F401  (imported, as a library may, but no kernel runs)

    assert not progress_module._in_kernel()
    assert type(progress(range(1))) is progress_module.std.tqdm


# ---- notebook kernel ------------------------------------------------------------------------

def kernel_messages(code):
    """The iopub messages of running ``code`` in a fresh kernel of this environment."""
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        messages = []
        msg_id = client.execute(code)
        while True:
            msg = client.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return messages
            messages.append(msg)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def stderr(messages):
    return [m for m in messages if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"]


def displays(messages):
    return [(m["msg_type"], m["content"]["data"]) for m in messages
            if m["msg_type"] in ("display_data", "update_display_data")]


def test_notebook_widget_bar_is_shown_then_emptied():
    pytest.importorskip("ipywidgets")
    messages = kernel_messages(LOOP)
    shown = displays(messages)
    kind, first = shown[0]
    assert kind == "display_data" and list(first) == [progress_module.WIDGET_VIEW]
    assert shown[-1] == ("update_display_data", {})  # the bar's display is emptied at the end
    # the widget counted the steps: its progress value reached 40 of max 40
    values = [m["content"]["data"]["state"].get("value") for m in messages
              if m["msg_type"] == "comm_msg" and "state" in m["content"]["data"]]
    assert 40 in values
    assert not stderr(messages)


def test_without_ipywidgets_a_text_bar_is_shown_then_emptied():
    messages = kernel_messages(NO_WIDGETS + LOOP)
    shown = displays(messages)
    assert shown[0] == ("display_data", {})
    texts = [data.get("text/plain", "") for kind, data in shown[1:-1]]
    assert any("training:" in t and "/40 [" in t for t in texts), texts
    assert shown[-1] == ("update_display_data", {})
    # no stderr: neither the bar nor tqdm's warning about the missing ipywidgets
    assert not stderr(messages)


@pytest.mark.parametrize("prefix", ["", NO_WIDGETS], ids=["widget", "text"])
def test_stored_notebook_holds_no_bar_and_passes_nbval(tmp_path, prefix):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(prefix + LOOP)]
    NotebookClient(nb, kernel_name="python3", store_widget_state=False).execute()
    outputs = nb.cells[0].outputs
    printed = [o.get("text") for o in outputs if o.output_type == "stream"]
    assert printed == ["before\n", "after 39\n"]
    assert [o.data for o in outputs if o.output_type == "display_data"] == [{}]
    path = tmp_path / "loop.ipynb"
    nbformat.write(nb, path)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval",
         "--nbval-current-env", str(path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_notebook_bar_redraws_about_100_times_however_long_the_loop():
    # A clock that jumps a second at every reading: by tqdm's default (a redraw whenever
    # 0.1 s have passed) every one of the 20,000 steps would be redrawn, tens of thousands
    # of kernel messages, more than nbval's reading after the cell can take (see the module).
    pytest.importorskip("ipywidgets")
    code = (
        "import itertools\n"
        "import tqdm.std\n"
        "from helpers.tools.progress import progress\n"
        "clock = itertools.count(0.0, 1.0)\n"
        "tqdm.std.time = lambda: next(clock)\n"
        "for step in progress(range(20_000), desc='training'):\n"
        "    pass\n"
    )
    messages = kernel_messages(code)
    values = [m["content"]["data"]["state"]["value"] for m in messages
              if m["msg_type"] == "comm_msg"
              and isinstance(m["content"]["data"].get("state", {}).get("value"), int | float)]
    assert 50 <= len(values) <= 105, len(values)
    assert values[-1] == 20_000
    assert len(messages) < 500
