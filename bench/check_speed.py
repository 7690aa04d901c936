"""Benchmark: `formserver check` on specs of 1,250 / 2,500 / 5,000 / 10,000 questions.

Run: python bench/check_speed.py [--sizes N ...] [--repeat R]

Each spec is generated like a census form, only longer: household and member sections of ten
pages of ten questions each, choices over shared option lists, numbers with ranges, text, a
`when` on most questions (the question before, or the two before), labels and hints that pipe
an earlier answer ({Q12}), and a check on every fifth number question. Each figure is the CPU time
(`time.process_time`) of compiling the file from disk, the median of R runs in this process.

Targets: 5,000 questions under 1 s of CPU, and linear growth: the CPU time per question at the
largest size within 1.5 times the one at the smallest.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout this file is in, not whatever is installed
from engine.spec.compiler import check_file  # noqa: E402

TARGET_5000 = 1.0
LINEAR = 1.5
PER_PAGE = 10


def spec(questions: int) -> str:
    """A spec of `questions` questions, half about the household and half about each member."""
    lines = ['questionnaire: bench', 'version: "1"', "title: {zh: 基准, en: Bench}", "languages: [zh, en]",
             "reference_time: 2020-11-01T00:00:00+08:00", "option_lists:", "  yesno:",
             '    - {code: "1", label: {zh: 是, en: "Yes"}}', '    - {code: "2", label: {zh: 否, en: "No"}}',
             "sections:"]
    half = questions // 2
    lines += _section("h", 0, half, member=False)
    lines += _section("m", half, questions, member=True)
    return "\n".join(lines) + "\n"


def _section(prefix: str, first: int, end: int, *, member: bool) -> list[str]:
    out: list[str] = []
    pages_per_section = 10
    n, s = first, 0
    while n < end:
        out += [f"  - id: {prefix}{s}", f"    title: {{zh: 第{s}节, en: Part {s}}}"]
        if member:
            out += ["    repeat: members"]
        out += ["    pages:"]
        for p in range(pages_per_section):
            if n >= end:
                break
            out += [f"      - id: {prefix}{s}p{p}", f"        title: {{zh: 第{p}页, en: Page {p}}}",
                    "        questions:"]
            for _ in range(PER_PAGE):
                if n >= end:
                    break
                out += _question(n, first)
                n += 1
        s += 1
    return out


def _question(n: int, first: int) -> list[str]:
    lines = [f"          - id: Q{n}"]
    kind = n % 3
    earlier = n - 1 if n > first else None
    if kind == 0:
        lines += ["            type: choice", f'            label: {{zh: "问题{n}", en: "Question {n}"}}',
                  "            options: yesno"]
    elif kind == 1:
        pipe = f"（{{Q{earlier}}}）" if earlier is not None else ""
        lines += ["            type: integer", f'            label: {{zh: "问题{n}{pipe}", en: "Question {n}"}}',
                  "            hint: {zh: 填数字, en: A whole number}", "            min: 0", "            max: 100"]
    else:
        lines += ["            type: text", f'            label: {{zh: "问题{n}", en: "Question {n}"}}']
    if earlier is not None and n % 3 == 1:
        lines += [f'            when: Q{earlier} == "1"']
    elif earlier is not None and n % 3 == 2 and earlier - 1 >= first:
        lines += [f'            when: Q{earlier} > 3 or Q{earlier - 1} == "2"']
    if kind == 1 and n % 5 == 1:  # a check on every fifth number question
        lines += ["            checks:", f"              - id: c{n}", f"                check: Q{n} < 90",
                  "                severity: warning", f'                message: {{zh: "请确认{n}", en: "Check {n}"}}']
    return lines


def cpu_seconds(path: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        result = check_file(path)
        times.append(time.process_time() - start)
        if not result.ok:
            raise SystemExit(f"the generated spec has mistakes: {result.diagnostics[:3]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1250, 2500, 5000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        results = []
        for size in args.sizes:
            path = Path(folder) / f"bench{size}.yaml"
            path.write_text(spec(size), encoding="utf-8")
            check_file(path)  # warm: imports, caches
            seconds = cpu_seconds(path, args.repeat)
            results.append((size, seconds))
            print(f"{size:>6,} questions: {seconds:.3f} s CPU, {seconds / size * 1e6:.0f} µs per question")
    print(f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (2 CPUs)")
    by_size = dict(results)
    verdicts = []
    if 5000 in by_size:
        verdicts.append(f"5,000 questions {by_size[5000]:.2f} s (target < {TARGET_5000} s): "
                        + ("met" if by_size[5000] < TARGET_5000 else "MISSED"))
    (small, t_small), (large, t_large) = results[0], results[-1]
    growth = (t_large / large) / (t_small / small)
    verdicts.append(f"per question at {large:,} = {growth:.2f}x that at {small:,} (target <= {LINEAR}x): "
                    + ("linear" if growth <= LINEAR else "NOT linear"))
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
