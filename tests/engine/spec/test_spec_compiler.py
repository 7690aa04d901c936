"""The compiler's front door leaves the process as it found it."""

from __future__ import annotations

import gc
from pathlib import Path

from engine.spec.compiler import check_file

SHORT = Path(__file__).resolve().parents[3] / "forms" / "census2020" / "short.yaml"


def test_the_cycle_collector_is_paused_while_compiling_and_restored_after() -> None:
    assert gc.isenabled()
    assert check_file(SHORT).ok
    assert gc.isenabled()  # back on for the rest of the process
    gc.disable()
    try:
        assert check_file(SHORT).ok
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_a_spec_that_fails_to_load_restores_the_collector_too(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("questionnaire: [unclosed\n", encoding="utf-8")
    assert not check_file(broken).ok
    assert gc.isenabled()
