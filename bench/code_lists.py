"""Benchmark: the short form with and without its code list of China's divisions (issue 17, point 6).

Run: python bench/code_lists.py [--repeat R]

Figures: CPU time (`time.process_time`) of compiling forms/census2020/short.yaml with its
44,703-row CSV read for the first time in the process, then again (the file read once per
process while unchanged), and of the same form with the code list taken out (the hukou place as
a 9-digit place_code, as before); and the wall time of a search of the list (朝阳, 建外).

Targets: the first compile under 1 s of CPU; later compiles within 1.5 times the form without
the list; a search under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout this file is in, not whatever is installed
from engine.spec import code_lists  # noqa: E402
from engine.spec.compiler import check_file  # noqa: E402

SHORT = ROOT / "forms" / "census2020" / "short.yaml"
FIRST_TARGET, WARM_FACTOR, SEARCH_TARGET = 1.0, 1.5, 0.05


def without_list(folder: Path) -> Path:
    """The short form with the hukou place as one place_code question and no code list."""
    text = SHORT.read_text(encoding="utf-8")
    text = re.sub(r"\ncode_lists:\n(  .*\n)+", "\n", text)
    start = text.index("          - id: D8_province")
    end = text.index("          # Unconfirmed: the source gives no gate for D9")
    place = ("          - id: D8_place\n            type: place_code\n"
             "            label: {zh: 乡镇（街道）, en: Township}\n            when: D8 == \"3\"\n")
    path = folder / "short.yaml"
    path.write_text(text[:start] + place + text[end:], encoding="utf-8")
    (folder / "options.yaml").write_text((SHORT.parent / "options.yaml").read_text(encoding="utf-8"),
                                         encoding="utf-8")
    return path


def cpu(path: Path) -> float:
    start = time.process_time()
    result = check_file(path)
    spent = time.process_time() - start
    assert result.ok, [d.render() for d in result.diagnostics]
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    code_lists._CACHE.clear()
    first = cpu(SHORT)
    warm = statistics.median(cpu(SHORT) for _ in range(args.repeat))
    with tempfile.TemporaryDirectory() as tmp:
        plain = without_list(Path(tmp))
        cpu(plain)
        bare = statistics.median(cpu(plain) for _ in range(args.repeat))
    q = check_file(SHORT).questionnaire
    assert q is not None
    divisions = q.code_lists["divisions"]
    searches = {}
    for text in ("朝阳", "建外"):
        start = time.perf_counter()
        found = divisions.search(text, "township")
        searches[text] = (time.perf_counter() - start, len(found))
    print(f"short form, first compile (CSV of {len(divisions.codes):,} rows read): {first * 1000:.0f} ms CPU "
          f"(target < {FIRST_TARGET * 1000:.0f} ms): {'met' if first < FIRST_TARGET else 'MISSED'}")
    print(f"short form, later compiles (median of {args.repeat}): {warm * 1000:.1f} ms CPU; without the list: "
          f"{bare * 1000:.1f} ms ({warm / bare:.2f}x, target < {WARM_FACTOR}x): "
          f"{'met' if warm < bare * WARM_FACTOR else 'MISSED'}")
    for text, (seconds, count) in searches.items():
        print(f"search {text}: {count} matches in {seconds * 1000:.1f} ms (target < {SEARCH_TARGET * 1000:.0f} ms): "
              f"{'met' if seconds < SEARCH_TARGET else 'MISSED'}")


if __name__ == "__main__":
    main()
