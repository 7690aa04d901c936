"""The questionnaires a running server uses, compiled once at start-up and shared read-only.

Each questionnaire is there in every version a census has published (`engine.spec.published`):
the mapping gives the current one by id; `version()` finds the one a document was written
under, and `after()` the versions a draft passes through to reach the current one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import engine
from engine.spec.compiler import compile_file
from engine.spec.model import Questionnaire
from engine.spec.published import published_versions

FORMS_DIR = Path(engine.__file__).resolve().parent.parent / "forms"
CENSUS_SPECS = ("census2020/short.yaml", "census2020/long.yaml", "census2020/overseas.yaml")
SELF_RESPONSE_FORM = "census2020-short"


class Forms(Mapping[str, Questionnaire]):
    """Compiled questionnaires by id (the current version of each). Raises `SpecError` at
    start-up if a spec or one of its published versions is broken."""

    def __init__(self, questionnaires: Mapping[str, Questionnaire], self_response: str = SELF_RESPONSE_FORM,
                 earlier: Mapping[str, Sequence[Questionnaire]] | None = None):
        self._by_id = dict(questionnaires)
        if self_response not in self._by_id:
            raise KeyError(f"the self-response form {self_response!r} is not loaded")
        self.self_response = self_response
        # id -> version -> questionnaire, oldest first, the current one last
        self._versions = {form_id: {q.version: q for q in (*(earlier or {}).get(form_id, ()), current)}
                          for form_id, current in self._by_id.items()}

    @classmethod
    def load(cls, folder: Path = FORMS_DIR, specs: tuple[str | Path, ...] = CENSUS_SPECS) -> Forms:
        """The specs (relative to `folder`, or absolute): the first is the self-response form."""
        compiled = [compile_file(folder / spec) for spec in specs]
        earlier = {q.id: published_versions(folder / spec, q) for spec, q in zip(specs, compiled, strict=True)}
        return cls({q.id: q for q in compiled}, compiled[0].id, earlier=earlier)

    def __getitem__(self, key: str) -> Questionnaire:
        return self._by_id[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    @property
    def short(self) -> Questionnaire:
        return self._by_id[self.self_response]

    # -- versions ---------------------------------------------------------------------------------
    def version(self, form_id: str, version: str) -> Questionnaire | None:
        """The questionnaire `form_id` as published at `version`; None if that is not loaded."""
        return self._versions.get(form_id, {}).get(version)

    def versions(self, form_id: str) -> tuple[Questionnaire, ...]:
        """Every loaded version of `form_id`, oldest first, the current one last."""
        return tuple(self._versions.get(form_id, {}).values())

    def every_version(self) -> tuple[Questionnaire, ...]:
        """Every version of every questionnaire (for what must read any household: the export)."""
        return tuple(q for versions in self._versions.values() for q in versions.values())

    def after(self, form_id: str, version: str) -> tuple[Questionnaire, ...]:
        """The versions a draft written under `version` passes through to the current one, each
        migrating from the one before: back from the current version along `migrations: from`.
        Just the current version when the chain does not reach `version` (its migration then
        says whether it can carry that draft: `engine.runtime.migrate`)."""
        current = self._by_id[form_id]
        if version == current.version:
            return ()
        path, step = [current], current
        while step.migration is not None:
            source = step.migration.from_version
            if source == version:
                return tuple(path)
            before = self.version(form_id, source)
            if before is None or any(before is p for p in path):
                break
            path.insert(0, before)
            step = before
        return (current,)
