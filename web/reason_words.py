"""Routing reasons as the staff pages name them: each reason's label and queue text in the staff
member's language (else the text's first language), from the census's reason book: the built-in
reasons and those its forms declare. An id no loaded form declares is shown as itself."""

from __future__ import annotations

from dataclasses import dataclass

from engine.census import Census
from engine.runtime.texts import pick
from engine.spec.reasons import ReasonBook


@dataclass(frozen=True, slots=True)
class ReasonWords:
    book: ReasonBook
    lang: str

    @property
    def ids(self) -> tuple[str, ...]:
        """Every reason, most urgent first."""
        return self.book.ids

    def label(self, reason_id: str) -> str:
        reason = self.book.get(reason_id)
        return pick(reason.label, self.lang) if reason else reason_id

    def queue(self, reason_id: str) -> str:
        reason = self.book.get(reason_id)
        return pick(reason.queue, self.lang) if reason else ""


def reason_words(census: Census, lang: str) -> ReasonWords:
    return ReasonWords(ReasonBook.of(census.forms.values()), lang)
