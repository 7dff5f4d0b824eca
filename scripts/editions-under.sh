#!/usr/bin/env bash
# Check the exercise editions under another Python (default 3.12, the one Colab runs):
# scripts/editions.py --check in a throw-away venv with nbformat only. The editions must
# come out the same as under the Python that wrote them. Usage: editions-under.sh [3.12]
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-3.12}

python=""
for candidate in "python$version" "$(pyenv root 2>/dev/null)"/versions/"$version"*/bin/python; do
  # a pyenv shim exists for every installed version but fails unless that one is selected
  if "$candidate" -c 'import sys' >/dev/null 2>&1; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  echo "editions under Python $version: SKIPPED (no python$version here; install it, e.g." \
       "pyenv install $version, to run this check)"
  exit 0
fi

venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
nbformat=$(.venv/bin/python -c 'import nbformat; print(nbformat.__version__)')
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q "nbformat==$nbformat" 2>&1 | grep -v '^WARNING: Location' || true
"$venv/bin/python" -c 'import nbformat' || {
  echo "editions under Python $version: could not install nbformat==$nbformat" >&2
  exit 1
}
echo "editions under $("$venv/bin/python" --version):"
if "$venv/bin/python" scripts/editions.py --check; then
  echo "  the same as the committed ones"
else
  echo "  they differ from the committed ones (see above): the generator depends on the" \
       "Python version, or an edition is out of date" >&2
  exit 1
fi
