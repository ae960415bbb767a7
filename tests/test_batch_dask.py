"""The same batch and comparison on a local Dask cluster give what the local run gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gridconnect.batch import Scenario, compare, run_batch, write_corpus

distributed = pytest.importorskip("distributed")

REFERENCE = Scenario(engine="reference")

# On a loaded machine distributed warns that creating its scratch directories is slow; that is
# advice about the machine, not a failure of the code under test.
pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:Creating scratch directories is taking a surprisingly long time:UserWarning"
    ),
    pytest.mark.slow,  # a local cluster of worker processes
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Two worker processes of one thread each, no dashboard, scratch space in a temp dir."""
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        local_directory=str(tmp_path_factory.mktemp("dask")),
    )
    with cluster, distributed.Client(cluster) as client:
        yield client


def test_dask_decisions_are_byte_identical_to_the_local_run(tmp_path: Path, client: Any) -> None:
    source = tmp_path / "c.jsonl"
    write_corpus(source, 400, seed=31, invalid=0.03)
    local = run_batch(
        source, tmp_path / "local.jsonl", scenario=REFERENCE, workers=2, chunk_size=50
    )
    dask = run_batch(
        source, tmp_path / "dask.jsonl", scenario=REFERENCE, scheduler=client, chunk_size=37
    )
    for name in ("local.jsonl", "local.jsonl.rejects.jsonl"):
        mine = (tmp_path / name).read_bytes().splitlines()
        theirs = (tmp_path / name.replace("local", "dask")).read_bytes().splitlines()
        assert sorted(mine) == sorted(theirs)
        assert mine == theirs  # written in line order both times
    assert (local.rows, local.decided, local.rejected) == (dask.rows, dask.decided, dask.rejected)
    assert local.counts == dask.counts
    assert dask.workers == 2


def test_dask_comparison_equals_the_local_one(tmp_path: Path, client: Any) -> None:
    source = tmp_path / "c.jsonl"
    write_corpus(source, 300, seed=32, divisions="4401")
    b = Scenario(engine="reference", parameters={"cn.low_voltage_access_cap_kw": 160})
    local = compare(source, REFERENCE, b, workers=0).to_dict()
    dask = compare(source, REFERENCE, b, scheduler=client, chunk_size=25).to_dict()
    for result in (local, dask):
        del result["seconds"]
    assert local == dask
