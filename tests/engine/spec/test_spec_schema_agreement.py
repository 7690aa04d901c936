"""The compiled JSON Schema and the engine give the same verdict on every document.

Documents are generated from each bundled spec: valid ones (a household's answers drawn for
every question, then the document the engine would submit), and mutations of them: answers to
skipped questions, another answer (so that conditions tip), wrong types, values out of range,
required answers left out, bad member ids, multi-choices in another order, whole numbers written
as `45.0`, wrong or missing derived values, text and codes not as stored, days that do not exist.
The schema's verdict (Draft 2020-12, the validator built once per spec) must equal the engine's
(`document_problems`), whichever it is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from engine.runtime.conformance import document_problems
from engine.runtime.evaluate import evaluate
from engine.spec.compiler import compile_file
from engine.spec.jsonschema_emit import to_json_schema
from engine.spec.model import Question, Questionnaire, Scope
from engine.spec.schema_derived import checked_values

FORMS = Path(__file__).resolve().parents[3] / "forms"
SPECS = ["census2020/short.yaml", "census2020/long.yaml", "census2020/overseas.yaml",
         "examples/base.yaml", "examples/features.yaml"]
_LOADED: dict[str, tuple[Questionnaire, Draft202012Validator]] = {}


def _spec(name: str) -> tuple[Questionnaire, Draft202012Validator]:
    if name not in _LOADED:
        q = compile_file(FORMS / name)
        schema = to_json_schema(q)
        Draft202012Validator.check_schema(schema)
        _LOADED[name] = (q, Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER))
    return _LOADED[name]


def _year_months(question: Question) -> st.SearchStrategy[str]:
    low = str(question.minimum or "1900-01")
    high = str(question.maximum or "2020-12")
    first, last = int(low[:4]) * 12 + int(low[5:7]) - 1, int(high[:4]) * 12 + int(high[5:7]) - 1
    return st.integers(first, last).map(lambda n: f"{n // 12:04d}-{n % 12 + 1:02d}")


def _value(question: Question, record: dict[str, Any] | None = None) -> st.SearchStrategy[Any]:
    """An acceptable answer to `question` (a code under the answer of its parent in `record`)."""
    kind = question.type
    if kind == "code":
        assert question.code_list is not None and question.level is not None
        codes = question.code_list
        parent = (record or {}).get(question.parent or "")
        under = codes.children.get(parent, ()) if isinstance(parent, str) else ()
        depth = codes.depth(question.level)
        return st.sampled_from(under or [c.code for c in codes.codes.values() if c.depth == depth][:500])
    if kind == "choice":
        assert question.options is not None
        return st.sampled_from(question.options.codes)
    if kind == "multi_choice":
        assert question.options is not None
        codes = question.options.codes
        high = question.max_selected or len(codes)
        alone = question.options.exclusive_codes  # "none of these" is ticked on its own
        return st.lists(st.sampled_from(codes), min_size=question.min_selected or 1, max_size=high,
                        unique=True).map(lambda chosen: next(([c] for c in chosen if c in alone),
                                                             [c for c in codes if c in chosen]))
    if kind in ("integer", "decimal"):
        low = int(question.minimum) if isinstance(question.minimum, (int, float)) else 0
        high = int(question.maximum) if isinstance(question.maximum, (int, float)) else low + 100
        whole = st.integers(low, min(high, low + 60))
        return whole if kind == "integer" else whole.map(lambda n: n if n == high else n + 0.5)
    if kind == "count_pair":
        high = int(question.maximum) if isinstance(question.maximum, (int, float)) else 5
        return st.fixed_dictionaries({p.name: st.integers(0, min(high, 3)) for p in question.parts})
    if kind == "year_month":
        return _year_months(question)
    if kind == "date":
        return _year_months(question).map(lambda ym: f"{ym}-01").filter(
            lambda d: d >= str(question.minimum or "") and d <= str(question.maximum or "9"))
    fixed: dict[str, list[Any]] = {
        "yes_no": [True, False], "text": ["北京市朝阳区", "a note"], "name": ["张三", "买买提·艾力", "Anna Li"],
        "resident_id": ["11010519491231002X", "440524188001010014"], "phone": ["13800138000", "010-12345678"],
    }
    if kind == "place_code":
        return st.just({"county": "110105", "township": "110105001", "village": "110105001001"}[question.level
                                                                                                  or "township"])
    return st.sampled_from(fixed[kind])


def _answers(data: st.DataObject, q: Questionnaire, scope: Scope) -> dict[str, Any]:
    """An answer to every question (optional ones at will): the engine drops what is not asked."""
    out = {}
    for question in q.questions_in(scope):
        if not question.optional or data.draw(st.booleans()):
            out[question.id] = data.draw(_value(question, out))
    return out


def _valid_document(data: st.DataObject, q: Questionnaire) -> dict[str, Any]:
    draft = {"household": _answers(data, q, Scope.HOUSEHOLD),
             "members": [{"id": f"m{i}", **_answers(data, q, Scope.MEMBER)}
                         for i in range(1, data.draw(st.integers(0, 3)) + 1)]}
    return evaluate(q, draft, at=q.reference_time).effective_document()


def _records(doc: dict[str, Any]) -> list[tuple[Scope, dict[str, Any]]]:
    return [(Scope.HOUSEHOLD, doc["household"]), *((Scope.MEMBER, m) for m in doc["members"])]


def _pick(data: st.DataObject, doc: dict[str, Any],
          test: Callable[[Scope, str, Any], bool]) -> tuple[Scope, dict[str, Any], str] | None:
    found = [(scope, record, key) for scope, record in _records(doc) for key, value in record.items()
             if test(scope, key, value)]
    return data.draw(st.sampled_from(found)) if found else None


MUTATIONS = ["skipped", "wrong_type", "out_of_range", "missing", "member_id", "reordered", "whole_float",
             "derived", "unknown_key", "text_form", "calendar", "code_form", "other_answer",
             "trailing_newline"]


def _mutate(data: st.DataObject, q: Questionnaire, doc: dict[str, Any], kind: str) -> str:
    """Change `doc` in place by a mutation of this kind; "none" when the document has nothing to
    change that way."""
    question = q.questions.get
    if kind == "skipped":
        scope, record = data.draw(st.sampled_from(_records(doc)))
        absent = [x for x in q.questions_in(scope) if x.id not in record]
        if not absent:
            return "none"
        target = data.draw(st.sampled_from(absent))
        record[target.id] = data.draw(_value(target, record))
    elif kind == "wrong_type":
        hit = _pick(data, doc, lambda s, k, v: question(k) is not None)
        if hit is None:
            return "none"
        value = hit[1][hit[2]]
        hit[1][hit[2]] = data.draw(st.sampled_from(
            [x for x in (5, "5", True, ["1"], {"x": 1}, None, 2.5) if type(x) is not type(value)]))
    elif kind == "out_of_range":
        hit = _pick(data, doc, lambda s, k, v: (x := question(k)) is not None and x.type != "yes_no")
        if hit is None:
            return "none"
        _, record, key = hit
        record[key] = _out_of_range(q.questions[key], record[key])
    elif kind == "missing":
        hit = _pick(data, doc, lambda s, k, v: question(k) is not None or k == "id")
        if hit is None:
            return "none"
        del hit[1][hit[2]]
    elif kind == "member_id":
        if not doc["members"]:
            return "none"
        doc["members"][0]["id"] = data.draw(st.sampled_from(["p1", "m", "M1", "m1234567", 1, "m01x"]))
    elif kind == "reordered":
        hit = _pick(data, doc, lambda s, k, v: isinstance(v, list) and len(v) > 1)
        if hit is None:
            return "none"
        hit[1][hit[2]] = list(reversed(hit[1][hit[2]]))
    elif kind == "whole_float":
        hit = _pick(data, doc, lambda s, k, v: isinstance(v, int) and not isinstance(v, bool))
        if hit is None:
            return "none"
        hit[1][hit[2]] = float(hit[1][hit[2]])
    elif kind == "derived":
        return _wrong_derived(data, q, doc)
    elif kind == "text_form":  # spaces to fold, or characters nobody types
        hit = _pick(data, doc, lambda s, k, v: (x := question(k)) is not None and x.type in ("text", "name"))
        if hit is None:
            return "none"
        text = hit[1][hit[2]]
        hit[1][hit[2]] = data.draw(st.sampled_from(
            [f" {text}  ", text.replace("·", "."), f"{text[0]}  {text[1:]}", f"{text}\n", f"{text}\x00x",
             "   ", "\u3000", text + "x" * 200]))
    elif kind == "code_form":  # codes as typed, not as stored, or of no province
        hit = _pick(data, doc, lambda s, k, v: (x := question(k)) is not None and x.type in ("phone", "place_code"))
        if hit is None:
            return "none"
        value = hit[1][hit[2]]
        hit[1][hit[2]] = data.draw(st.sampled_from(
            ["0101-2345678", "+8613800138000", "138 0013 8000", "010-1234567", "0755-12345678"]
            if question(hit[2]).type == "phone"  # type: ignore[union-attr]
            else ["99" + value[2:], "00" + value[2:], "１" + value[1:], "12" + value[2:]]))
    elif kind == "trailing_newline":  # Python's `$` matches before it; the engine and ECMA-262 do not
        hit = _pick(data, doc, lambda s, k, v: isinstance(v, str) and (question(k) is not None or k == "id"))
        if hit is None:
            return "none"
        hit[1][hit[2]] += "\n"
    elif kind == "other_answer":  # another acceptable answer: what is asked after it may change
        # Not a code another code must lie under: that is the engine's alone (`x-parent`, see below).
        parents = {x.parent for x in q.questions.values() if x.parent}
        hit = _pick(data, doc, lambda s, k, v: question(k) is not None and k not in parents)
        if hit is None:
            return "none"
        hit[1][hit[2]] = data.draw(_value(q.questions[hit[2]], hit[1]))
    elif kind == "calendar":  # a day that does not exist
        hit = _pick(data, doc, lambda s, k, v: (x := question(k)) is not None and x.type == "date")
        if hit is None:
            return "none"
        hit[1][hit[2]] = data.draw(st.sampled_from(["2019-02-29", "2020-02-29", "2019-04-31", "2019-13-01"]))
    elif kind == "unknown_key":
        scope, record = data.draw(st.sampled_from(_records(doc)))
        record["Z99"] = "1"
    return kind


def _out_of_range(question: Question, value: Any) -> Any:
    if question.type in ("integer", "decimal"):
        return (question.maximum if isinstance(question.maximum, (int, float)) else 10**9) + 1
    if question.type == "count_pair":
        return {**value, next(iter(value)): -1}
    if question.type == "year_month":
        return "1849-12" if question.minimum is None else f"{int(str(question.minimum)[:4]) - 1}-06"
    if question.type == "date":
        return "1849-12-31" if question.minimum is None else f"{int(str(question.minimum)[:4]) - 1}-06-15"
    if question.type == "multi_choice":
        return [*value, "no such option"]
    return "no such option" if question.type == "choice" else "x" * 201


def _wrong_derived(data: st.DataObject, q: Questionnaire, doc: dict[str, Any]) -> str:
    scope, record = data.draw(st.sampled_from(_records(doc)))
    names = [d.id for d in q.derived_in(scope)] + (["person_number"] if scope is Scope.MEMBER else [])
    if not names:
        return "none"
    name = data.draw(st.sampled_from(names))
    how = data.draw(st.sampled_from(["drop", "off_by_one", "text"]))
    if how == "drop":
        record.pop(name, None)
    elif how == "off_by_one" and isinstance(record.get(name), int):
        record[name] += 1
    else:
        record[name] = "seven"
    return f"derived_{'checked' if name in checked_values(q, scope) else 'informative'}_{how}"


@pytest.mark.parametrize("kind", MUTATIONS)
@pytest.mark.parametrize("name", SPECS)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_schema_and_engine_agree(name: str, kind: str, data: st.DataObject) -> None:
    q, validator = _spec(name)
    doc = _valid_document(data, q)
    assert document_problems(q, doc) == [], doc  # what the engine would submit, it accepts
    assert validator.is_valid(doc), [e.message for e in validator.iter_errors(doc)][:5]
    kind = _mutate(data, q, doc, kind)
    engine = document_problems(q, doc)
    schema = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:120]}" for e in validator.iter_errors(doc)]
    event(f"{kind}: {'accepted' if not engine else 'rejected'}")
    assert (not schema) == (not engine), (kind, doc, engine[:3], schema[:3])


def test_a_code_outside_its_parent_is_the_engines_alone() -> None:
    """The one rule the schema only notes (`x-parent`): JSON Schema cannot relate two answers'
    values, so a township outside the county chosen above passes the schema, not the engine."""
    q, validator = _spec("census2020/short.yaml")
    place = to_json_schema(q)["$defs"]["member"]["properties"]["D8_place"]
    assert place["x-parent"] == "D8_county"
    doc = {"household": {"H1": "1", "H2": {"present": 1, "absent": 0}, "H3": {"male": 0, "female": 0},
                         "H4": {"male": 0, "female": 0}, "H5": "2"},
           "members": [{"id": "m1", "D1": "张三", "S1": "1", "D2": "0", "D4": "1", "D5": "1980-05", "age": 40,
                        "D6": "01", "D7": "1", "D8": "3", "D8_province": "11", "D8_prefecture": "1101",
                        "D8_county": "110101", "D8_place": "110101001", "D9": "1", "D11": "6", "D12": True}]}
    assert document_problems(q, doc) == [] and validator.is_valid(doc)
    doc["members"][0]["D8_place"] = "110105001"  # in the list, under another county
    assert [p["code"] for p in document_problems(q, doc)] == ["not_under_parent"]
    assert validator.is_valid(doc)
