"""Malformed input: structural junk is a `DocumentError` with structured problems, junk answers
are issues, junk typed input is a problem per question, and `formserver evaluate` ends with a
message and an exit code. Never another exception, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from pathlib import Path
from typing import Any

import pytest

from engine.answers.resident_id import make_resident_id
from engine.runtime.document import HOUSEHOLD, add_member, apply_answers, new_document
from engine.runtime.errors import DocumentError
from engine.runtime.wellformed import MAX_PROBLEMS, check_document
from formserver.cli import main

SHORT = str(Path(__file__).resolve().parents[3] / "forms" / "census2020" / "short.yaml")
AT = "2020-10-20T10:00:00+08:00"
MEGABYTE = "字" * (1 << 20)
NUMERIC_ID = next(i for i in (make_resident_id("110105", dt.date(1961, 2, 15), n, "1") for n in range(10))
                  if not i.endswith("X"))


def deep_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def deep_dict(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def assert_document_error(households: Any, doc: Any, *codes: str) -> list[dict[str, Any]]:
    with pytest.raises(DocumentError) as caught:
        households.evaluate(doc)
    problems = caught.value.problems
    assert problems and len(problems) <= MAX_PROBLEMS
    for p in problems:
        assert set(p) == {"path", "code", "message"} and isinstance(p["path"], str) and len(p["path"]) < 200
        assert set(p["message"]) == {"zh", "en"} and p["message"]["zh"] and len(p["message"]["en"]) < 300
    assert caught.value.code == "malformed_document"
    assert caught.value.message["zh"] and caught.value.message["en"]
    json.dumps(problems, ensure_ascii=False).encode()  # serialisable and printable as is
    assert set(codes) <= {p["code"] for p in problems}, problems
    assert check_document(households.q, doc) == problems
    return problems


# ------------------------------------------------------------------------------------ structural junk
def _good(households: Any) -> dict[str, Any]:
    return households.build(size=1)  # type: ignore[no-any-return]


STRUCTURE = [
    pytest.param(lambda d: [d], ["not_an_object"], id="document-is-a-list"),
    pytest.param(lambda d: None, ["not_an_object"], id="document-is-null"),
    pytest.param(lambda d: "{}", ["not_an_object"], id="document-is-text"),
    pytest.param(lambda d: True, ["not_an_object"], id="document-is-true"),
    pytest.param(lambda d: {**d, "extra": 1, "answers": {}}, ["unknown_key"], id="unknown-top-keys"),
    pytest.param(lambda d: {**d, MEGABYTE: 1}, ["unknown_key"], id="megabyte-key"),
    pytest.param(lambda d: {**d, "questionnaire": "census2020-long"}, ["wrong_questionnaire"],
                 id="other-form"),
    pytest.param(lambda d: {**d, "questionnaire": MEGABYTE}, ["wrong_questionnaire"], id="megabyte-form-id"),
    pytest.param(lambda d: {**d, "questionnaire": ["census2020-short"]}, ["wrong_questionnaire"],
                 id="form-id-list"),
    pytest.param(lambda d: {**d, "format": True}, ["unknown_format"], id="format-true"),
    pytest.param(lambda d: {**d, "format": "1"}, ["unknown_format"], id="format-text"),
    pytest.param(lambda d: {**d, "format": 2}, ["unknown_format"], id="format-2"),
    pytest.param(lambda d: {**d, "version": 2020.1}, ["not_a_string"], id="version-number"),
    pytest.param(lambda d: {**d, "next_member": True}, ["bad_next_member"], id="next-member-true"),
    pytest.param(lambda d: {**d, "next_member": "2"}, ["bad_next_member"], id="next-member-text"),
    pytest.param(lambda d: {**d, "next_member": math.nan}, ["bad_next_member"], id="next-member-nan"),
    pytest.param(lambda d: {**d, "next_member": math.inf}, ["bad_next_member"], id="next-member-infinity"),
    pytest.param(lambda d: {**d, "next_member": 0}, ["bad_next_member"], id="next-member-0"),
    pytest.param(lambda d: {**d, "next_member": 2.0}, ["bad_next_member"], id="next-member-float"),
    pytest.param(lambda d: {**d, "household": []}, ["not_an_object"], id="household-list"),
    pytest.param(lambda d: {**d, "household": "H1=1"}, ["not_an_object"], id="household-text"),
    pytest.param(lambda d: {**d, "household": {**d["household"], "D1": "张三"}}, ["wrong_record"],
                 id="member-question-in-household"),
    pytest.param(lambda d: {**d, "household": {**d["household"], "H99": 1, "": 2}}, ["unknown_question"],
                 id="unknown-household-question"),
    pytest.param(lambda d: {**d, "members": {"m1": {}}}, ["not_a_list"], id="members-object"),
    pytest.param(lambda d: {**d, "members": [1, "m2", None, True]}, ["not_an_object"],
                 id="members-not-objects"),
    pytest.param(lambda d: {**d, "members": [{"D1": "张三"}]}, ["bad_member_id"], id="member-without-id"),
    pytest.param(lambda d: {**d, "members": [{"id": 1}]}, ["bad_member_id"], id="member-id-number"),
    pytest.param(lambda d: {**d, "members": [{"id": ["m1"]}]}, ["bad_member_id"], id="member-id-list"),
    pytest.param(lambda d: {**d, "members": [{"id": "m" + "1" * 100_000}]}, ["bad_member_id"],
                 id="member-id-huge"),
    pytest.param(lambda d: {**d, "members": [{"id": "m1"}, {"id": "m1"}]}, ["duplicate_member_id"],
                 id="member-id-twice"),
    pytest.param(lambda d: {**d, "members": [{"id": "m1", "H1": "1"}]}, ["wrong_record"],
                 id="household-question-in-member"),
    pytest.param(lambda d: {**d, "members": [{"id": "m1", "D99": 1, deep_list(3).__repr__(): 1}]},
                 ["unknown_question"], id="unknown-member-question"),
    pytest.param(lambda d: {**d, "members": [{"id": f"m{i}"} for i in range(1, 10_001)]}, ["too_many_members"],
                 id="10000-members"),
    pytest.param(lambda d: {**d, "members": [deep_list(10_000)]}, ["not_an_object"], id="deep-member"),
    pytest.param(lambda d: {**d, "confirmations": []}, ["not_an_object"], id="confirmations-list"),
    pytest.param(lambda d: {**d, "confirmations": {"m1/D3_sex": "yes"}}, ["bad_confirmation"],
                 id="confirmation-text"),
    pytest.param(lambda d: {**d, "confirmations": {"m1/D3_sex": {"fingerprint": 1}}}, ["bad_confirmation"],
                 id="confirmation-fingerprint-number"),
    pytest.param(lambda d: {**d, "confirmations": {"D3_sex": {"fingerprint": "x"}}}, ["bad_confirmation"],
                 id="confirmation-key"),
    pytest.param(lambda d: {**d, "confirmations": {"m1/x": deep_dict(10_000)}}, ["bad_confirmation"],
                 id="confirmation-deep"),
    pytest.param(lambda d: {**d, "declaration": "张三"}, ["bad_declaration"], id="declaration-text"),
    pytest.param(lambda d: {**d, "declaration": {"name": "张三", "promise": 1}}, ["bad_declaration"],
                 id="declaration-promise-1"),
    pytest.param(lambda d: {**d, "declaration": {"name": ["张三"], "promise": True}}, ["bad_declaration"],
                 id="declaration-name-list"),
    pytest.param(lambda d: {**d, "declaration": {"name": "张三", "promise": True, "x": deep_list(10_000)}},
                 ["bad_declaration"], id="declaration-deep"),
    pytest.param(lambda d: {**d, "household": {f"X{i}": i for i in range(100_000)}}, ["unknown_question"],
                 id="100000-unknown-questions"),
    pytest.param(lambda d: {f"k{i}": i for i in range(100_000)}, ["unknown_key"], id="100000-unknown-keys"),
]


@pytest.mark.parametrize(("corrupt", "codes"), STRUCTURE)
def test_malformed_documents_are_document_errors(households: Any, corrupt: Any, codes: list[str]) -> None:
    started = time.perf_counter()
    assert_document_error(households, corrupt(_good(households)), *codes)
    assert time.perf_counter() - started < 2


def test_every_problem_at_once(households: Any) -> None:
    doc = {"format": "x", "questionnaire": 1, "household": [], "members": [{"id": "m1"}, 3],
           "confirmations": 1, "declaration": 2, "extra": 0}
    codes = {p["code"] for p in assert_document_error(households, doc)}
    assert codes == {"unknown_key", "wrong_questionnaire", "unknown_format", "not_an_object", "bad_declaration"}


def test_a_short_hand_written_document_is_well_formed(households: Any) -> None:
    assert check_document(households.q, {"household": {"H1": "1"}, "members": [{"id": "m1", "D1": "张三"}]}) == []
    assert check_document(households.q, {}) == []


# --------------------------------------------------------------------------------------- junk answers
JUNK_ANSWERS = [
    pytest.param(HOUSEHOLD, "H7", True, "not_a_whole_number", id="integer-true"),
    pytest.param(HOUSEHOLD, "H7", False, "not_a_whole_number", id="integer-false"),
    pytest.param(HOUSEHOLD, "H6", True, "not_a_number", id="decimal-true"),
    pytest.param(HOUSEHOLD, "H6", math.nan, "not_a_number", id="decimal-nan"),
    pytest.param(HOUSEHOLD, "H6", math.inf, "not_a_number", id="decimal-infinity"),
    pytest.param(HOUSEHOLD, "H6", -math.inf, "not_a_number", id="decimal-minus-infinity"),
    pytest.param(HOUSEHOLD, "H7", math.nan, "not_an_integer", id="integer-nan"),
    pytest.param(HOUSEHOLD, "H7", 10**5000, "too_large", id="integer-5000-digits"),
    pytest.param(HOUSEHOLD, "H2", {"present": True, "absent": False}, "wrong_kind", id="counts-bool"),
    pytest.param(HOUSEHOLD, "H2", {"present": math.nan, "absent": 0}, "not_an_integer", id="counts-nan"),
    pytest.param(HOUSEHOLD, "H2", {"present": 1}, "empty", id="counts-part-missing"),
    pytest.param(HOUSEHOLD, "H2", [1, 0], "wrong_kind", id="counts-list"),
    pytest.param(HOUSEHOLD, "H1", 1, "not_an_option", id="choice-number"),
    pytest.param(HOUSEHOLD, "H1", True, "not_an_option", id="choice-bool"),
    pytest.param(HOUSEHOLD, "H1", ["1"], "not_an_option", id="choice-list"),
    pytest.param(HOUSEHOLD, "H1", deep_list(10_000), "not_an_option", id="choice-deep-list"),
    pytest.param(HOUSEHOLD, "H2", deep_dict(10_000), "wrong_kind", id="counts-deep-dict"),
    pytest.param(HOUSEHOLD, "H2", {"present": deep_list(10_000), "absent": 0}, "wrong_kind",
                 id="counts-deep-part"),
    pytest.param("m1", "D1", MEGABYTE, "too_long", id="name-megabyte"),
    pytest.param("m1", "D1", deep_list(10_000), "wrong_kind", id="name-deep-list"),
    pytest.param("m1", "D1", 12345, "wrong_kind", id="name-number"),
    pytest.param("m1", "D1", "张\ud800三", "wrong_kind", id="name-lone-surrogate"),
    pytest.param("m1", "D3", MEGABYTE, "bad_resident_id", id="id-megabyte"),
    pytest.param("m1", "D3", int(NUMERIC_ID), "not_canonical", id="id-number"),
    pytest.param("m1", "D5", MEGABYTE, "bad_year_month", id="year-month-megabyte"),
    pytest.param("m1", "D5", 198506, "not_canonical", id="year-month-number"),
    pytest.param("m1", "D12", 1, "choose_yes_no", id="yes-no-1"),
    pytest.param("m1", "D12", "是", "not_canonical", id="yes-no-text"),
    pytest.param("m1", "D12", None, "choose_yes_no", id="yes-no-null"),
]


@pytest.mark.parametrize(("record", "question", "value", "code"), JUNK_ANSWERS)
def test_junk_answers_are_issues_not_exceptions(households: Any, record: str, question: str, value: Any,
                                                code: str) -> None:
    doc = _good(households)
    if record == HOUSEHOLD:
        doc["household"] = {**doc["household"], question: value}
    else:
        doc["members"][0] = {**doc["members"][0], question: value}
    for _ in range(2):  # and again, from the cache
        e = households.evaluate(doc)
        (issue,) = [i for i in e.issues if i.record_id == record and i.question_id == question and not i.check_id]
        assert issue.code == code
        assert question not in e.state(record).values
        json.dumps(e.effective_document(), allow_nan=False).encode()  # nothing of the junk gets through


# ------------------------------------------------------------------------------------------ typed junk
TYPED_JUNK = [
    pytest.param(HOUSEHOLD, "H7", True, "not_a_whole_number", id="integer-true"),
    pytest.param(HOUSEHOLD, "H6", math.nan, "not_a_number", id="decimal-nan"),
    pytest.param(HOUSEHOLD, "H6", "NaN", "not_a_number", id="decimal-nan-text"),
    pytest.param(HOUSEHOLD, "H6", "Infinity", "not_a_number", id="decimal-infinity-text"),
    pytest.param(HOUSEHOLD, "H6", "1e3", "not_a_number", id="decimal-exponent"),
    pytest.param(HOUSEHOLD, "H2", {"present": True, "absent": "0"}, "wrong_kind", id="counts-bool"),
    pytest.param(HOUSEHOLD, "H2", deep_list(10_000), "wrong_kind", id="counts-deep-list"),
    pytest.param(HOUSEHOLD, "H2", deep_dict(10_000), "wrong_kind", id="counts-deep-dict"),
    pytest.param(HOUSEHOLD, "H1", deep_list(10_000), "wrong_kind", id="choice-deep-list"),
    pytest.param(HOUSEHOLD, "H1", {"a": deep_dict(10_000)}, "wrong_kind", id="choice-deep-dict"),
    pytest.param(HOUSEHOLD, "H1", ["1"] * 2000, "too_long", id="choice-long-list"),
    pytest.param("m1", "D1", MEGABYTE, "too_long", id="name-megabyte"),
    pytest.param("m1", "D1", "张\ud800三", "wrong_kind", id="name-lone-surrogate"),
    pytest.param("m1", "D1", ["张三"], "wrong_kind", id="name-list"),
    pytest.param("m1", "D1", True, "wrong_kind", id="name-bool"),
    pytest.param("m1", "D5", "１９８５年１３月", "bad_year_month", id="month-13"),
    pytest.param("m1", "H1", "1", "wrong_kind", id="household-question-for-a-member"),
    pytest.param("m1", "age", 30, "wrong_kind", id="derived-value"),
    pytest.param("m1", "id", "m2", "wrong_kind", id="member-id"),
]


@pytest.mark.parametrize(("record", "question", "raw", "code"), TYPED_JUNK)
def test_typed_junk_is_a_problem_and_changes_nothing(households: Any, short: Any, record: str, question: str,
                                                     raw: Any, code: str) -> None:
    doc = _good(households)
    applied = apply_answers(short, doc, record, {question: raw, "D6" if record != HOUSEHOLD else "H5": "03"})
    assert applied.document is doc and applied.changed == ()
    assert applied.problems[question].code == code
    assert applied.problems[question].message["zh"]


def test_huge_raw_mappings(households: Any, short: Any) -> None:
    doc, _ = add_member(new_document(short))
    raw = {f"Q{i}": "x" for i in range(10_000)}
    applied = apply_answers(short, doc, "m1", raw)
    assert len(applied.problems) == 10_000 and applied.document is doc


# ------------------------------------------------------------------------------------------------- CLI
def _run(capsys: Any, tmp_path: Path, content: str | bytes | None, *extra: str) -> tuple[int, str, str]:
    path = tmp_path / "doc.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    code = main(["evaluate", SHORT, str(path), "--at", AT, *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


CLI_FILES = [
    pytest.param("{", 2, "not valid JSON", id="truncated"),
    pytest.param("", 2, "not valid JSON", id="empty-file"),
    pytest.param(b'{"household": "\xff\xfe"}', 2, "cannot read", id="not-utf8"),
    pytest.param('{"household": {"H6": NaN}}', 2, "NaN", id="nan-literal"),
    pytest.param('{"household": {"H6": Infinity}}', 2, "Infinity", id="infinity-literal"),
    pytest.param('{"household": {"H7": ' + "9" * 5000 + "}}", 2, "not valid JSON", id="5000-digit-number"),
    pytest.param('{"household": {"H1": ' + "[" * 10_000 + "]" * 10_000 + "}}", 2, "nested too deeply",
                 id="nested-10000-deep"),
    pytest.param("[]", 1, "must be a JSON object", id="a-list"),
    pytest.param("null", 1, "must be a JSON object", id="null"),
    pytest.param('"text"', 1, "must be a JSON object", id="a-string"),
    pytest.param('{"members": [{"id": []}, {"id": {}}, {"D1": "x"}]}', 1, "member id", id="junk-member-ids"),
    pytest.param('{"members": ' + json.dumps([{}] * 10_000) + "}", 1, "at most", id="10000-members"),
    pytest.param('{"format": true, "next_member": true}', 1, "format", id="booleans-for-numbers"),
    pytest.param('{"\\ud800": 1}', 1, "unknown key", id="lone-surrogate-key"),
    pytest.param(json.dumps({"household": {"H1": "1"}, "unknown": MEGABYTE}), 1, "unknown key",
                 id="megabyte"),
]


@pytest.mark.parametrize(("content", "exit_code", "message"), CLI_FILES)
def test_cli_on_malformed_files(capsys: Any, tmp_path: Path, content: str | bytes, exit_code: int,
                                message: str) -> None:
    code, out, err = _run(capsys, tmp_path, content)
    assert code == exit_code
    assert message in err
    if exit_code == 1:
        problems = json.loads(out)["document_problems"]
        assert problems and all({"path", "code", "message"} == set(p) for p in problems)


def test_cli_on_junk_answers(capsys: Any, tmp_path: Path) -> None:
    doc = {"household": {"H1": True, "H2": {"present": True, "absent": 0}, "H7": 1.5, "H6": "\ud800",
                         "H4": deep_list(50)},
           "members": [{"D1": "\ud800", "D5": "1985-06"}]}
    code, out, err = _run(capsys, tmp_path, json.dumps(doc))
    assert code == 0, err
    report = json.loads(out)
    assert {e["question"] for e in report["errors"]} >= {"H1", "H2", "H4"}
    assert report["submittable"] is False


def test_cli_says_whether_the_document_as_written_would_be_accepted(capsys: Any, tmp_path: Path) -> None:
    """`as_submitted`: the document exactly as written (no ids added), the JSON Schema's verdict."""
    nobody = {"household": {"H1": "1", "H2": {"present": 0, "absent": 0}, "H4": {"male": 1, "female": 0}},
              "members": []}
    code, out, _ = _run(capsys, tmp_path, json.dumps(nobody))
    assert code == 0 and json.loads(out)["as_submitted"] == {"accepted": True, "problems": []}
    skipped = {**nobody, "household": {**nobody["household"], "H5": "1"}}  # the dwelling is not asked
    code, out, _ = _run(capsys, tmp_path, json.dumps(skipped))
    verdict = json.loads(out)["as_submitted"]
    assert code == 0 and not verdict["accepted"]
    assert [(p["path"], p["code"]) for p in verdict["problems"]] == [("household.H5", "not_asked")]
    code, out, _ = _run(capsys, tmp_path, json.dumps({**nobody, "members": [{"D1": "张三"}]}))
    assert [p["code"] for p in json.loads(out)["as_submitted"]["problems"]] == ["bad_member_id"]


def test_cli_refuses_times_without_offsets_and_missing_files(capsys: Any, tmp_path: Path) -> None:
    code, _, err = _run(capsys, tmp_path, "{}", "--at", "2020-11-05T23:59:59")
    assert code == 2 and "UTC offset" in err
    code, _, err = _run(capsys, tmp_path, "{}", "--at", "yesterday")
    assert code == 2 and "ISO 8601" in err
    code = main(["evaluate", SHORT, str(tmp_path / "missing.json"), "--at", AT])
    _, err = capsys.readouterr()
    assert code == 2 and "no such file" in err
    code = main(["evaluate", SHORT, str(tmp_path), "--at", AT])
    _, err = capsys.readouterr()
    assert code == 2 and "cannot read" in err and "Traceback" not in err


def test_cli_evaluates_a_hand_written_document(capsys: Any, tmp_path: Path) -> None:
    doc = {"household": {"H1": "1", "H2": {"present": 1, "absent": 0}, "H4": {"male": 0, "female": 0},
                         "H3": {"male": 0, "female": 0}, "H5": "2"},
           "members": [{"D1": "张三", "S1": "5"}]}
    code, out, err = _run(capsys, tmp_path, json.dumps(doc, ensure_ascii=False), "--long-form")
    assert code == 0, err
    report = json.loads(out)
    assert [r["reason"] for r in report["routing"]] == ["overseas_member", "long_form_sample"]
    assert report["routing"][0]["members"] == ["m1"]
    assert report["records"][1]["record"] == "m1"
