"""Where learners open the notebooks: Colab (a notebook alone) and Binder (repo2docker)."""

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import nbformat
import pytest
import yaml
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)$")
# Variables that would let the Colab-like Python import from elsewhere (PYTHONPATH pointing
# at this checkout would make `helpers` importable without the install under test).
PATH_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE")


def clean_environment():
    """This process's environment without the variables that change Python's import path."""
    return {k: v for k, v in os.environ.items() if k not in PATH_VARIABLES}


def pins(lines):
    """``{package: version}`` for every ``name==version`` line; options and comments skipped."""
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            match = PIN.match(line)
            assert match, f"not pinned as name==version: {line!r}"
            found[match[1].lower()] = match[2]
    return found


def test_environment_yml_and_requirements_pin_the_same_packages():
    requirements = pins((ROOT / "requirements.txt").read_text().splitlines())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pins(pip_section) == requirements
    assert requirements["torch"] == "2.13.0"
    conda_packages = [d for d in env["dependencies"] if isinstance(d, str)]
    assert "graphviz" in conda_packages  # the dot program, from conda-forge
    assert "python=3.11" in conda_packages


def test_binder_files_install_graphviz_and_this_package():
    assert "graphviz" in (ROOT / "apt.txt").read_text().split()
    post_build = ROOT / "postBuild"
    assert post_build.stat().st_mode & 0o111, "postBuild must be executable"
    assert "pip install --no-deps -e ." in post_build.read_text()
    assert "mybinder.org/v2/gh/" in (ROOT / "README.md").read_text()


@pytest.fixture(scope="module")
def colab_like(tmp_path_factory):
    """A Python environment that has this project's dependencies but not ``helpers``.

    A fresh venv gets a ``.pth`` line with our site-packages, so torch, numpy and
    Jupyter's kernel import from there; ``.pth`` files *inside* that folder are not
    read, so our editable install of ``helpers`` is invisible, as on Colab.
    """
    base = tmp_path_factory.mktemp("colab")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = subprocess.run([python, "-c", where], check=True, capture_output=True,
                          text=True, env=clean_environment()).stdout.strip()
    Path(site, "project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    probe = subprocess.run([python, "-c", "import torch, ipykernel; import helpers"],
                           capture_output=True, text=True, cwd=base, env=clean_environment())
    assert "No module named 'helpers'" in probe.stderr, probe.stderr
    kernels = base / "kernels" / "colab-like"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab-like", "language": "python"}))
    return base, python


def test_a_lecture_runs_alone_as_on_colab(colab_like, monkeypatch, names_cache_bytes):
    base, python = colab_like
    home = base / "home"
    cache = home / ".cache" / "backprop-from-scratch" / "names.txt"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(names_cache_bytes)  # what load_words() would download on Colab
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("BACKPROP_DATA_DIR", raising=False)
    for variable in PATH_VARIABLES:   # the kernel (and its %pip) inherit the environment
        monkeypatch.delenv(variable, raising=False)
    workdir = base / "content"
    workdir.mkdir()
    notebook = workdir / "07_analytic_backward.ipynb"
    shutil.copy(ROOT / "lectures" / notebook.name, notebook)

    nb = nbformat.read(notebook, as_version=4)
    setup = nb.cells[1]
    assert "git+https://github.com/" in setup.source
    # The package comes from this checkout's path instead of the network.
    setup.source = re.sub(r'"backprop-from-scratch @ git\+[^"]+"',
                          f'--no-deps "{ROOT}"', setup.source)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import helpers.tools.data\nprint(helpers.__file__)\n"
        "print(helpers.tools.data.cache_path())"))
    km = KernelManager(kernel_name="colab-like",
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(base / "kernels")]))
    NotebookClient(nb, km=km, timeout=600, resources={"metadata": {"path": str(workdir)}}).execute()

    installed, cache_used = nb.cells[-1].outputs[0]["text"].split()
    assert installed.startswith(str(base / "venv")) and "site-packages" in installed
    assert cache_used == str(cache)
    assert not list(workdir.glob("*.txt"))
    assert sys.executable != str(python)


@pytest.fixture(scope="module")
def names_cache_bytes():
    from helpers.tools.data import cache_path, load_words

    load_words()  # make sure the checkout's cache is there and valid
    return cache_path().read_bytes()
