"""Batch evaluation, what-if comparison and synthetic corpora.

* :func:`run_batch`: every application of a JSON Lines, CSV or Parquet file, on all cores (or a
  Dask cluster), decisions to JSON Lines, bad rows to a rejects file, resumable;
* :func:`read_decisions` / :func:`expand_line`: the decisions of a batch output, compact
  (``compact=True``: each combination of matched rules written once) or full, as
  ``Decision.to_dict()``; :func:`write_parquet` the compact form as Parquet;
* :func:`compare`: one corpus under two :class:`Scenario` s (dates, places, rules files,
  parameter values), counted conclusion by conclusion, with :func:`render_comparison`;
* :func:`iter_corpus` / :func:`write_corpus`: synthetic Guangdong applications for a seed.

See the how-to "Evaluate a million applications" (``docs/howto/batch.rst``).
"""

from __future__ import annotations

from gridconnect.batch.compact import expand_line, read_decisions, write_parquet
from gridconnect.batch.compare import Comparison, Transition, compare, render_comparison
from gridconnect.batch.corpus import iter_corpus, write_corpus
from gridconnect.batch.formats import COLUMNS, flatten, unflatten
from gridconnect.batch.pipeline import WorkerStartError
from gridconnect.batch.run import BatchError, BatchSummary, Progress, run_batch
from gridconnect.batch.scenario import Scenario

__all__ = [
    "COLUMNS",
    "BatchError",
    "BatchSummary",
    "Comparison",
    "Progress",
    "Scenario",
    "Transition",
    "WorkerStartError",
    "compare",
    "expand_line",
    "flatten",
    "iter_corpus",
    "read_decisions",
    "render_comparison",
    "run_batch",
    "unflatten",
    "write_corpus",
    "write_parquet",
]
