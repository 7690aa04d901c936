"""Texts read from the spec are the texts the designer typed: a version, an option code or a
label that YAML would read as a number keeps every character as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from spec_helpers import BASE, compile_text


@pytest.mark.parametrize("typed", ["2020.10", "1.50", "1e3", "2.", "10", "-0.0"])
def test_a_version_typed_as_a_number_is_kept_as_typed(tmp_path: Path, typed: str) -> None:
    q = compile_text(tmp_path, BASE.replace('version: "1"', f"version: {typed}"))
    assert q.version == typed


def test_option_codes_and_labels_typed_as_numbers_are_kept_as_typed(tmp_path: Path) -> None:
    spec = BASE.replace('- {code: "1", label: {zh: 家庭户, en: Family}}',
                        "- {code: 1.10, label: {zh: 1.50, en: 1.50}}")
    spec = spec.replace('- {code: "2", label: {zh: 集体户, en: Collective}}',
                        "- {code: 1.1, label: {zh: 集体户, en: Collective}}")
    spec = spec.replace('when: H1 == "1"', 'when: H1 == "1.10"')
    q = compile_text(tmp_path, spec)
    options = q.questions["H1"].options
    assert options is not None and options.codes == ("1.10", "1.1")  # two codes, not one code twice
    assert dict(options.options[0].label) == {"zh": "1.50", "en": "1.50"}
