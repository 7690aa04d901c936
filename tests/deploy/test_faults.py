"""deploy/faults.py: its recovery figures from synthetic request records, and (marker `cluster`,
only with `scripts/cluster up` running) the fault-injection suite itself."""

from __future__ import annotations

import cluster
import faults
import pytest
from load import Record


def steady(start: float, end: float, every: float, latency: float, status: int = 200) -> list[Record]:
    out, t = [], start
    while t < end:
        out.append(Record(t, t + latency, status))
        t += every
    return out


def test_a_service_that_never_stopped_answered_again_at_once() -> None:
    records = steady(0, 20, 0.1, 0.02)
    assert faults.answering_again(records, 5.0) == 0.0
    assert faults.p99_back(records, 5.0, 20.0) == 0.0


def test_recovery_is_timed_from_the_fault_to_the_first_answer_after_the_failures() -> None:
    records = [*steady(0, 5, 0.1, 0.02), *steady(5, 12, 0.1, 0.01, status=503), *steady(12, 30, 0.1, 0.3),
               *steady(30, 40, 0.1, 0.02)]
    assert faults.answering_again(records, 5.0) == pytest.approx(7.3, abs=0.11)  # 12.3 s - 5 s
    # slow until 30 s (the last slow answer at 30.2 s): the window of the 2 s before is fast from 32.2 s on
    assert faults.p99_back(records, 5.0, 40.0) == pytest.approx(27.0, abs=0.6)


def test_a_5xx_other_than_503_counts_as_not_answering_too() -> None:
    records = [*steady(0, 5, 0.1, 0.02), Record(5.5, 5.6, 500), *steady(6, 10, 0.1, 0.02)]
    assert faults.answering_again(records, 5.0) == pytest.approx(1.02, abs=0.01)


def cluster_up() -> bool:
    return cluster.app_ready("app1") or cluster.app_ready("app2")


@pytest.mark.cluster
@pytest.mark.slow
@pytest.mark.skipif(not cluster_up(), reason="the cluster is not up (scripts/cluster up)")
def test_no_acknowledged_save_is_lost_through_every_fault() -> None:
    assert faults.main(["--households", "16", "--clients", "4", "--settle", "5"]) == 0
