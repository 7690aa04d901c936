"""Benchmark: compile time of the long form and of all of forms/ (target: long form < 150 ms).

Run: python bench/compile_forms.py [--repeat N]
Each figure is the median of N full compilations from disk (YAML parse, extends and imports,
checks, expressions, model), plus the JSON Schema emission, on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from engine.spec.compiler import check_file, spec_files
from engine.spec.jsonschema_emit import to_json_schema

ROOT = Path(__file__).resolve().parent.parent


def timed(fn: object, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    long_form = ROOT / "forms/census2020/long.yaml"
    files = spec_files([ROOT / "forms"])

    def compile_long() -> None:
        result = check_file(long_form)
        assert result.questionnaire is not None, result.diagnostics
        to_json_schema(result.questionnaire)

    def compile_all() -> None:
        for path in files:
            result = check_file(path)
            assert result.ok, result.diagnostics
            if result.questionnaire is not None:
                to_json_schema(result.questionnaire)

    compile_long()  # warm imports
    long_ms = timed(compile_long, args.repeat)
    all_ms = timed(compile_all, max(5, args.repeat // 3))
    q = check_file(long_form).questionnaire
    assert q is not None
    print(f"long form ({len(q.questions)} questions): median {statistics.median(long_ms):.1f} ms, "
          f"min {min(long_ms):.1f} ms, max {max(long_ms):.1f} ms over {len(long_ms)} runs (target < 150 ms)")
    print(f"all of forms/ ({len(files)} files): median {statistics.median(all_ms):.1f} ms, "
          f"min {min(all_ms):.1f} ms over {len(all_ms)} runs")


if __name__ == "__main__":
    main()
