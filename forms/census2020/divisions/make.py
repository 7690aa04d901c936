"""Writes china.csv, the administrative divisions the census forms pick from, from the npm
package china-division (the version below): provinces, prefectures, counties and townships,
one row each as `code,name,parent` (no villages: no form asks for one).

    python forms/census2020/divisions/make.py [china-division-2.7.0.tgz]

Without an argument it fetches the tarball with `npm pack`. The output is sorted by code, so
a new version of the package gives a readable diff.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "china-division"
VERSION = "2.7.0"
HERE = Path(__file__).resolve().parent
# (file in the package's dist/, the column naming the parent; None: the top level)
LEVELS = (("provinces.csv", None), ("cities.csv", "provinceCode"), ("areas.csv", "cityCode"),
          ("streets.csv", "areaCode"))


def fetch(folder: Path) -> Path:
    subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}"], cwd=folder, check=True, capture_output=True)
    return folder / f"{PACKAGE}-{VERSION}.tgz"


def rows(tarball: Path) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    with tarfile.open(tarball) as tar:
        for name, parent_column in LEVELS:
            member = tar.extractfile(f"package/dist/{name}")
            assert member is not None, name
            for row in csv.DictReader(io.TextIOWrapper(member, encoding="utf-8")):
                parent = row[parent_column] if parent_column else ""
                out.append((row["code"], row["name"].strip(), parent))
    return sorted(out)


def licence(tarball: Path) -> str:
    with tarfile.open(tarball) as tar:
        member = tar.extractfile("package/LICENSE")
        assert member is not None
        return member.read().decode("utf-8")


def main(argv: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tarball = Path(argv[0]) if argv else fetch(Path(tmp))
        with (HERE / "china.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(("code", "name", "parent"))
            writer.writerows(rows(tarball))
        (HERE / "LICENSE").write_text(licence(tarball), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
