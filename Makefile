# The two commands of the README. Both run the same idempotent set-up first.
.PHONY: setup lab exercises report class-report test lint test-single-thread \
	check-editions-3.12

setup:
	@bash scripts/setup.sh

# Jupyter refuses to start as root without --allow-root (as in containers and CI).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

## Open JupyterLab on the course: lectures/ and exercises/ side by side in its file browser.
lab: setup
	.venv/bin/jupyter lab $(ROOT_FLAG) .

## The same, with the file browser open on the exercise editions.
exercises: setup
	.venv/bin/jupyter lab $(ROOT_FLAG) --LabApp.default_url=/lab/tree/exercises .

## Where you stand: each exercise edition run on a copy (your files are not changed), then a
## table of every blank's status and the totals. ARGS="--saved" reads the outcomes saved in the
## notebooks instead; ARGS="exercises/06_manual_backprop.ipynb" runs one. This runs your code.
report: setup
	.venv/bin/python -m helpers.checks.report $(ARGS)

## A class: SUBMISSIONS holds one folder per learner. Writes OUT/report.csv, OUT/summary.md and
## OUT/completion.png (default OUT: SUBMISSIONS-report, beside it). This runs the learners'
## code: see the README (in a container).
class-report: setup
	@test -n "$(SUBMISSIONS)" || { echo "usage: make class-report SUBMISSIONS=folder [OUT=folder]"; exit 2; }
	.venv/bin/python -m helpers.checks.report class "$(SUBMISSIONS)" \
		--out "$(or $(OUT),$(patsubst %/,%,$(SUBMISSIONS))-report)" $(ARGS)

## Lint, then the helpers' unit tests and every notebook under nbval.
test: setup lint
	.venv/bin/python -m pytest

lint:
	.venv/bin/ruff check .

## The notebooks again with one thread, as on a machine with another BLAS set-up.
test-single-thread: setup
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 .venv/bin/python -m pytest lectures

## The editions written once more under Python 3.12 (Colab's): they must not differ.
## Skipped, with a message, where no Python 3.12 is installed.
check-editions-3.12: setup
	@bash scripts/editions-under.sh 3.12
