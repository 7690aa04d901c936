"""The questionnaires a running server uses, compiled once at start-up and shared read-only."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import engine
from engine.spec.compiler import compile_file
from engine.spec.model import Questionnaire

FORMS_DIR = Path(engine.__file__).resolve().parent.parent / "forms"
CENSUS_SPECS = ("census2020/short.yaml", "census2020/long.yaml", "census2020/overseas.yaml")
SELF_RESPONSE_FORM = "census2020-short"


class Forms(Mapping[str, Questionnaire]):
    """Compiled questionnaires by id. Raises `SpecError` at start-up if a spec is broken."""

    def __init__(self, questionnaires: Mapping[str, Questionnaire], self_response: str = SELF_RESPONSE_FORM):
        self._by_id = dict(questionnaires)
        if self_response not in self._by_id:
            raise KeyError(f"the self-response form {self_response!r} is not loaded")
        self.self_response = self_response

    @classmethod
    def load(cls, folder: Path = FORMS_DIR, specs: tuple[str | Path, ...] = CENSUS_SPECS) -> Forms:
        """The specs (relative to `folder`, or absolute): the first is the self-response form."""
        compiled = [compile_file(folder / spec) for spec in specs]
        return cls({q.id: q for q in compiled}, compiled[0].id)

    def __getitem__(self, key: str) -> Questionnaire:
        return self._by_id[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    @property
    def short(self) -> Questionnaire:
        return self._by_id[self.self_response]
