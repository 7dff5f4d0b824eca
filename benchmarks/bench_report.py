"""helpers.checks.report's class mode against running the same notebooks one by one with nbconvert.

    .venv/bin/python benchmarks/bench_report.py                 # 30 learners x lecture 06
    .venv/bin/python benchmarks/bench_report.py --learners 2    # a quick look

A class of ``--learners`` copies of lecture 06's edition, each filled with the lecture's own
answers, is run twice: by ``python -m helpers.checks.report class`` (``--workers`` notebooks at a
time, default one per core) and by ``jupyter nbconvert --execute --to notebook`` on each
notebook in turn. Prints both wall times and their ratio. Correctness is part of it: every
blank of every learner must come out ``passed`` in the report, and every nbconvert run must
succeed, or the script exits with status 1.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from helpers.checks import report  # noqa: E402

LECTURE = "06_manual_backprop"


def filled_edition():
    """Lecture 06's current edition with every TODO cell holding the lecture's answer."""
    edition = nbformat.reads(report._editions().edition(ROOT / "lectures" / f"{LECTURE}.ipynb"),
                             as_version=4)
    lecture = nbformat.read(ROOT / "lectures" / f"{LECTURE}.ipynb", as_version=4)
    answers = {c.id: c.source for c in lecture.cells if "solution" in c.metadata.get("tags", [])}
    for cell in edition.cells:
        if "todo" in cell.metadata.get("tags", []):
            cell.source = answers[cell.id]
    return edition


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30, help="class size (default 30)")
    parser.add_argument("--workers", type=int, default=report.cores(),
                        help="the report's workers (default: one per core)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per cell")
    args = parser.parse_args(argv)

    nb = filled_edition()
    blanks = len(report.reference(LECTURE).blanks)
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        tmp = Path(tmp)
        for k in range(args.learners):
            folder = tmp / "class" / f"learner{k:02d}"
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{LECTURE}.ipynb")

        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "helpers.checks.report", "class", str(tmp / "class"),
                        "--out", str(tmp / "out"), "--workers", str(args.workers),
                        "--timeout", str(args.timeout)], check=True, cwd=ROOT)
        report_time = time.perf_counter() - start
        rows = report.read_csv(tmp / "out" / "report.csv")
        passed = sum(r["status"] == "passed" for r in rows)
        problems = [r for r in rows if r["status"] != "passed"]

        start = time.perf_counter()
        failed = []
        for folder in sorted((tmp / "class").iterdir()):
            done = subprocess.run(
                [sys.executable, "-m", "jupyter", "nbconvert", "--execute", "--to", "notebook",
                 f"--ExecutePreprocessor.timeout={int(args.timeout)}",
                 "--output-dir", str(tmp / "nbconvert" / folder.name),
                 str(folder / f"{LECTURE}.ipynb")], capture_output=True, text=True)
            if done.returncode != 0:
                failed.append(f"{folder.name}: {done.stderr.strip().splitlines()[-1:]}")
        nbconvert_time = time.perf_counter() - start

    print(f"class of {args.learners} learners x {LECTURE} ({blanks} blanks each), "
          f"{report.cores()} cores")
    print(f"  helpers.checks.report class, {args.workers} workers: {report_time:7.1f} s "
          f"({passed} of {args.learners * blanks} blanks passed)")
    print(f"  jupyter nbconvert --execute, one by one:    {nbconvert_time:7.1f} s")
    print(f"  ratio nbconvert / report: {nbconvert_time / report_time:.2f}")
    if problems or failed or passed != args.learners * blanks:
        print("FAILED:", json.dumps(problems[:5], ensure_ascii=False), failed[:5])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
