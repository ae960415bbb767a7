"""Run every benchmark in this folder, one after the other (``make bench``).

Each prints its own ratios against a baseline measured in the same process; nothing here is a
test, and no figure is asserted.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    ("engines", ["bench_engines.py"]),
    ("strata and unknowns", ["bench_strata.py"]),
    ("calendar", ["bench_calendar.py"]),
    ("durable soak (flat memory)", ["soak_durable.py", "--n", "200000"]),
    ("batch", ["bench_batch.py"]),
    ("lifecycle", ["bench_lifecycle.py"]),
    ("memory: 5,000 rule sets", ["bench_memory.py", "rulesets", "--n", "5000"]),
    ("memory: 1,500 registries", ["bench_memory.py", "registries", "--n", "1500"]),
    ("serve under load", ["bench_serve.py"]),
]


def main() -> int:
    failed = 0
    for title, (script, *args) in SCRIPTS:
        if not (HERE / script).exists():
            continue
        print(f"\n== {title}: {script} {' '.join(args)}", flush=True)
        failed |= subprocess.call([sys.executable, str(HERE / script), *args]) != 0
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
