"""Keep the lecture notebooks consistent with the conventions of CONVENTIONS.md.

    python scripts/notebooks.py          # rewrite what is out of date
    python scripts/notebooks.py --check  # list what is out of date; exit 1 if anything is

It rewrites, in every ``lectures/NN_slug.ipynb``: the "Open in Colab" badge of the
title cell (generated from the repository URL in ``pyproject.toml``, the one place
it is defined), the shared set-up cell, and the per-cell run timestamps that
nbconvert leaves in cell metadata (noise in every diff), and saved widget state: the
``metadata.widgets`` that nbconvert stores (random model ids, a progress bar's timings), the
kernelspec (as ipykernel reports it, so that opening a notebook does not modify it), and
the ``application/vnd.jupyter.widget-view+json`` entries of outputs, which point into it.
Without them an output falls back to its ``text/plain`` (which nbval compares), and a live
widget is rebuilt when the learner runs the cell; before that, a notebook shows the static
picture that the widget's cell displays beside it (see ``helpers.tools.widgets``). Other outputs
are not touched, except that consecutive stream outputs of one stream are merged into one
(a kernel under load flushes a cell's prints in several pieces; the text is the same).
In README.md it rewrites the badges and the lecture table between the
``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->`` markers, from each
notebook's title and its ``metadata.lecture`` (``learn``, ``study``, ``runs``).
"""

import re
import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
LECTURES = ROOT / "lectures"
NOTEBOOK_NAME = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
BADGE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# What ipykernel's kernel reports: any other display name, and JupyterLab marks a notebook
# modified as soon as it is opened (and autosave then writes it).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def repository_url():
    """``https://github.com/OWNER/NAME``, from ``[project.urls] Repository``."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        url = tomllib.load(f)["project"]["urls"]["Repository"].rstrip("/")
    if not url.startswith("https://github.com/"):
        raise ValueError(f"the Repository URL in pyproject.toml must be on GitHub; got {url}")
    return url


def colab_url(relative_path):
    """The Colab address that opens ``relative_path`` (e.g. ``lectures/01_x.ipynb``) from main."""
    owner_name = repository_url().removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{owner_name}/blob/main/{relative_path}"


def colab_badge(relative_path):
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(relative_path)})"


def setup_cell_source():
    """The set-up cell every lecture starts with (see CONVENTIONS.md)."""
    return (
        "# Set-up: inside this repository `helpers` is installed already (make lab);\n"
        "# elsewhere, as on Colab, install it from GitHub and fetch the names dataset.\n"
        "try:\n"
        "    import helpers  # noqa: F401\n"
        "except ModuleNotFoundError:\n"
        f'    %pip install -q "backprop-from-scratch @ git+{repository_url()}"\n'
        "    import helpers.tools.data\n"
        "\n"
        "    helpers.tools.data.load_words()  # downloads once, into ~/.cache/backprop-from-scratch"
    )


def lecture_paths():
    """The lecture notebooks in order; a misnamed notebook is an error."""
    paths = sorted(LECTURES.glob("*.ipynb"))
    wrong = [p.name for p in paths if not NOTEBOOK_NAME.match(p.name)]
    if wrong:
        raise ValueError(f"lecture notebooks must be named NN_slug.ipynb; rename {wrong}")
    return paths


def is_setup_cell(cell):
    return cell.cell_type == "code" and cell.source.startswith("# Set-up")


def merged_streams(outputs):
    """``outputs`` with each run of consecutive outputs of one stream (stdout, stderr) joined."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.output_type == "stream" and previous is not None
                and previous.output_type == "stream" and previous.name == output.name):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def normalized(path):
    """The notebook at ``path`` as the conventions want it, as text."""
    nb = nbformat.read(path, as_version=4)
    relative = path.relative_to(ROOT).as_posix()
    title = nb.cells[0]
    if title.cell_type != "markdown" or not BADGE.search(title.source):
        raise ValueError(f"{relative}: the first cell must be the title with a Colab badge")
    title.source = BADGE.sub(lambda _: colab_badge(relative), title.source, count=1)
    setup = [cell for cell in nb.cells if is_setup_cell(cell)]
    if not setup:
        raise ValueError(f"{relative}: no set-up cell (a code cell starting '# Set-up')")
    setup[0].source = setup_cell_source()
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = KERNELSPEC
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if "outputs" in cell:
            cell.outputs = merged_streams(cell.outputs)
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
    return nbformat.writes(nb) + "\n"


def edition_path(lecture):
    """Where the exercise edition of a lecture lives (written by scripts/editions.py)."""
    return f"exercises/{Path(lecture).name}"


def binder_badge():
    owner_name = repository_url().removeprefix("https://github.com/")
    return ("[![Binder](https://mybinder.org/badge_logo.svg)]"
            f"(https://mybinder.org/v2/gh/{owner_name}/main?urlpath=lab/tree/lectures)")


def lecture_table():
    """The README's table of lectures, one row per notebook."""
    rows = ["| # | lecture | what you will learn | study / run | open | exercises |",
            "|---|---------|---------------------|-------------|------|-----------|"]
    for path in lecture_paths():
        nb = nbformat.read(path, as_version=4)
        relative = f"lectures/{path.name}"
        number, title = nb.cells[0].source.splitlines()[0][2:].split(" · ", 1)
        info = nb.metadata.get("lecture")
        if not info:
            raise ValueError(f"{relative}: metadata.lecture (learn, study, runs) is missing")
        edition = edition_path(relative)
        rows.append(
            f"| {number} | [{title}]({relative}) | {info['learn']} | "
            f"{info['study']} / {info['runs']} | {colab_badge(relative)} | "
            f"[edition]({edition}) · [Colab]({colab_url(edition)}) |")
    return "\n".join(rows)


def readme_text():
    """README.md with its generated blocks brought up to date."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = {"badges": binder_badge(), "lectures": lecture_table()}
    for name, content in blocks.items():
        pattern = re.compile(
            f"(<!-- generated:{name} -->\n)(?:.*?\n)?(<!-- /generated:{name} -->)", re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"README.md lacks the <!-- generated:{name} --> markers")
        text = pattern.sub(lambda m, c=content: m[1] + c + "\n" + m[2], text)
    return text


def out_of_date():
    """Paths whose file differs from what this script would write."""
    stale = [p for p in lecture_paths() if p.read_text(encoding="utf-8") != normalized(p)]
    readme = ROOT / "README.md"
    if readme.read_text(encoding="utf-8") != readme_text():
        stale.append(readme)
    return stale


def main(argv):
    stale = out_of_date()
    if "--check" in argv:
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)} (run python scripts/notebooks.py)")
        return 1 if stale else 0
    for path in stale:
        text = readme_text() if path.name == "README.md" else normalized(path)
        path.write_text(text, encoding="utf-8")
        print(f"rewrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
