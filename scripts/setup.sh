#!/usr/bin/env bash
# The set-up that `make lab` and `make test` share, safe to run again:
# a virtual environment with the pinned packages and this package, Graphviz's
# `dot`, and the names dataset in its cache.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating the virtual environment .venv"
  "$python" -m venv .venv
fi

# Reinstall only when the pins or the package metadata change.
stamp=".venv/.installed-$(cat requirements.txt pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing the pinned packages (torch is the large one)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt
  # setuptools warns about editable installs in general: not news for this project
  if ! out=$(.venv/bin/python -m pip install -q --no-deps -e . 2>&1); then
    printf '%s\n' "$out" >&2
    exit 1
  fi
  printf '%s\n' "$out" | grep -v -e "^ *$" -e "BuildBackendWarning" -e "^ *!!" \
    -e "^ *\*\{20,\}" -e "Please be careful" -e "name as your package" \
    -e "with strategy, WheelFile" -e "Location 'file:" || true
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# JupyterLab defaults for this environment (the Settings editor still overrides them):
# no "would you like to get notified about official Jupyter news?" pop-up on first start.
# postBuild installs the same file on Binder.
mkdir -p .venv/share/jupyter/lab/settings
cp scripts/jupyterlab_overrides.json .venv/share/jupyter/lab/settings/overrides.json
# No language servers are used here: without jupyter-lsp, `make lab` prints no
# "skipped servers" line for the language servers it would look for.
mkdir -p .venv/etc/jupyter/jupyter_server_config.d
cat > .venv/etc/jupyter/jupyter_server_config.d/backprop-from-scratch.json <<'JSON'
{"ServerApp": {"jpserver_extensions": {"jupyter_lsp": false}}}
JSON

if ! command -v dot >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup: installing Graphviz with apt-get"
    apt-get update -qq && apt-get install -y -qq graphviz >/dev/null
  elif command -v apt-get >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "setup: installing Graphviz with sudo apt-get"
    sudo apt-get update -qq && sudo apt-get install -y -qq graphviz >/dev/null
  else
    cat >&2 <<'MSG'
setup: Graphviz's `dot` program is missing and cannot be installed from here.
Install it, then run the command again:
  Debian / Ubuntu:   sudo apt-get install graphviz
  macOS (Homebrew):  brew install graphviz
  conda:             conda install -c conda-forge graphviz
MSG
    exit 1
  fi
fi

.venv/bin/python -c "
from helpers.tools.data import cache_path, load_words
print(f'setup: {len(load_words()):,} names in {cache_path()}')
"
