"""Benchmark: full evaluation (relevance + validation + routing + page plan) of a household.

Targets on this machine: a 5-member household under 2 ms, a 500-member collective household
under 100 ms. Run: python bench/evaluate_household.py [--repeat N]
The households are complete and valid short-form documents, so every question and check runs.

Then the same after a save, as `Census.change` evaluates it: one member's name changed, with
the evaluation of the draft before it as `previous` (records whose inputs did not change are
kept), against evaluating the changed draft afresh.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from engine.answers.resident_id import make_resident_id
from engine.runtime.document import apply_answers
from engine.runtime.evaluate import evaluate
from engine.spec.compiler import compile_file
from engine.spec.model import Questionnaire

ROOT = Path(__file__).resolve().parent.parent
AT = datetime(2020, 11, 3, 12, 0, tzinfo=timezone(timedelta(hours=8)))
NAMES = ["王伟", "李娜", "张敏", "刘洋", "陈静", "杨磊", "赵丽", "黄强", "周杰", "吴芳", "买买提·艾力", "欧阳娜娜"]


def member(q: Questionnaire, i: int, rng: random.Random, collective: bool) -> dict[str, Any]:
    sex = rng.choice(["1", "2"])
    born = date(rng.randint(1940, 2016), rng.randint(1, 12), rng.randint(1, 28))
    m: dict[str, Any] = {
        "id": f"m{i + 1}", "D1": rng.choice(NAMES), "S1": "1",
        "D2": "0" if i == 0 else ("9" if collective else rng.choice(["1", "2", "3"])),
        "D3": make_resident_id("110105", born, rng.randint(0, 99), sex), "D4": sex,
        "D5": f"{born.year}-{born.month:02d}", "D6": "01", "D7": "1", "D8": "1", "D9": "1",
        "D11": "5", "D12": True,
    }
    return {k: v for k, v in m.items() if k == "id" or k in q.questions}


def household(q: Questionnaire, size: int, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    collective = size > 20
    members = [member(q, i, rng, collective) for i in range(size)]
    h = {"H1": "2" if collective else "1", "H2": {"present": size, "absent": 0},
         "H3": {"male": 0, "female": 0}, "H4": {"male": 0, "female": 0}, "H5": "1", "H6": 85.5, "H7": 3}
    return {"format": 1, "questionnaire": q.id, "version": q.version, "household": h, "members": members,
            "next_member": size + 1, "confirmations": {}, "declaration": None}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    q = compile_file(ROOT / "forms/census2020/short.yaml")
    for size, target, repeat in ((5, 2.0, args.repeat), (500, 100.0, max(10, args.repeat // 10))):
        doc = household(q, size)
        first = evaluate(q, doc, at=AT)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            evaluate(q, doc, at=AT)
            times.append((time.perf_counter() - start) * 1000)
        errors = len(first.errors)
        print(f"{size:>3} members: median {statistics.median(times):.3f} ms, p95 "
              f"{sorted(times)[int(len(times) * 0.95) - 1]:.3f} ms over {repeat} runs "
              f"(target < {target:g} ms; {len(first.household.relevant) + sum(len(m.relevant) for m in first.members)}"
              f" questions asked, {errors} errors, {len(first.warnings)} warnings)")
        changed = apply_answers(q, doc, f"m{size // 2 + 1}", {"D1": "钱二"}).document
        fresh, kept = [], []
        for _ in range(repeat):
            start = time.perf_counter()
            evaluate(q, changed, at=AT)
            middle = time.perf_counter()
            evaluate(q, changed, at=AT, previous=first)
            fresh.append((middle - start) * 1000)
            kept.append((time.perf_counter() - middle) * 1000)
        print(f"{size:>3} members, one name changed: median {statistics.median(kept):.3f} ms with the previous "
              f"evaluation, {statistics.median(fresh):.3f} ms afresh")


if __name__ == "__main__":
    main()
