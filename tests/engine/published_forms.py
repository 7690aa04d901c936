"""The 2020 forms as a census office has them after publishing version 2020.2 of the short form
during collection (tests/engine/fixtures/short-2020.2.yaml): the new spec in place of the old,
and 2020.1 kept as it was published, in `published/2020.1/` beside it."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.forms import FORMS_DIR, Forms

FIXTURE = Path(__file__).parent / "fixtures" / "short-2020.2.yaml"
SHIPPED = FORMS_DIR / "census2020"
SPECS = ("census2020/short.yaml", "census2020/overseas.yaml")


def lay_out(folder: Path) -> Path:
    """`folder/census2020/`: short.yaml at 2020.2, published/2020.1/ the shipped short form with
    the files it reads (the divisions' 1.3 MB list linked, not copied), overseas.yaml as shipped."""
    census = folder / "census2020"
    published = census / "published" / "2020.1"
    published.mkdir(parents=True)
    for name in ("short.yaml", "options.yaml"):
        shutil.copyfile(SHIPPED / name, published / name)
    (published / "divisions").symlink_to(SHIPPED / "divisions", target_is_directory=True)
    shutil.copyfile(FIXTURE, census / "short.yaml")
    for name in ("overseas.yaml", "options.yaml"):
        shutil.copyfile(SHIPPED / name, census / name)
    return census / "short.yaml"


def forms_after_publishing(folder: Path) -> Forms:
    lay_out(folder)
    return Forms.load(folder, SPECS)


def lay_out_forgetting_h7(folder: Path) -> Path:
    """As `lay_out`, but 2020.2 is 2020.1 without H7 (and its checks), and its `migrations:`
    forgets to drop it: a draft that answered H7 cannot be carried across."""
    spec = lay_out(folder)
    text = (SHIPPED / "short.yaml").read_text(encoding="utf-8")
    start, end = text.index("          - id: H7\n"), text.index("  - id: person\n")
    text = text[:start] + "\n" + text[end:]
    text = text.replace('version: "2020.1"', 'version: "2020.2"', 1)
    spec.write_text(text + '\nmigrations:\n  from: "2020.1"\n', encoding="utf-8")
    (spec.parent / "divisions").symlink_to(SHIPPED / "divisions", target_is_directory=True)
    return spec
