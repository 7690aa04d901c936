"""The engine's messages beyond zh and en (engine/catalogue.py, engine/locale/*.po): looked up
by their English text, placeholders kept, and used wherever a household meets a message."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from engine.answers.problems import MESSAGES, InputProblem
from engine.catalogue import LOCALE, catalogue, every_language, languages, local
from engine.runtime.errors import EngineError, PermissionDenied
from engine.runtime.texts import person_fallback, pick
from engine.runtime.validation import NAMED, REQUIRED, SPECIFY_REQUIRED
from engine.spec.reasons import BUILT_IN

PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def test_uyghur_is_one_of_the_engine_languages() -> None:
    assert languages()[:2] == ("zh", "en") and "ug" in languages()
    assert catalogue("zh") == {} and catalogue("en") == {}  # written in the code


def test_every_translation_keeps_the_placeholders_of_its_english() -> None:
    for path in sorted(LOCALE.glob("*.po")):
        with path.open("rb") as f:
            for m in read_po(f):
                if m.id and m.string:
                    assert sorted(PLACEHOLDER.findall(str(m.string))) == sorted(PLACEHOLDER.findall(str(m.id))), \
                        (path.name, m.id)


def test_every_message_a_household_can_meet_is_in_uyghur() -> None:
    ug = catalogue("ug")
    english = [en for _zh, en in MESSAGES.values()]
    english += [REQUIRED["en"], SPECIFY_REQUIRED["en"], NAMED["en"], "this person", "Person {number}"]
    english += [r.explanation["en"] for r in BUILT_IN.values() if r.explanation is not None]
    english += ["Self-response opens on {opens}", "{n} answers still need changing or confirming",
                "Self-response closed on {closes}; contact your enumerator to make changes",
                "Type your name as your signature", "Tick the solemn promise to continue"]
    assert [en for en in english if en not in ug] == []


def test_a_message_is_in_its_own_language_else_translated_else_english() -> None:
    assert local({"zh": "返回", "en": "Back"}, "zh") == "返回"
    assert local({"zh": "请输入数字，例如 85.5", "en": "Enter a number, for example 85.5"}, "ug") == \
        catalogue("ug")["Enter a number, for example 85.5"]
    assert local({"zh": "没有翻译", "en": "Not translated anywhere"}, "ug") == "Not translated anywhere"
    assert local({"zh": "只有中文"}, "ug") == "只有中文"


def test_a_problem_speaks_every_language_with_its_parameters_in_each() -> None:
    problem = InputProblem("too_large", high=120)
    assert set(problem.message) == set(languages())
    assert "120" in problem.message["ug"] and problem.message["ug"] != problem.message["en"]
    option = {"zh": "都没有", "en": "None of these", "ug": "ھېچقايسىسى يوق"}
    said = every_language(*MESSAGES["exclusive_option"], option=option)
    assert "“都没有”" in said["zh"] and "“None of these”" in said["en"]
    # Right to left, each value is isolated: a date or a code keeps its order beside Arabic letters.
    assert "«\u2068ھېچقايسىسى يوق\u2069»" in said["ug"]
    assert "\u20681900-01\u2069" in InputProblem("too_early", low="1900-01").message["ug"]


def test_an_engine_error_with_parameters_is_translated_from_its_template() -> None:
    closed = PermissionDenied("window_closed", "自主填报已于 {closes} 截止，如需修改请联系普查员",
                              "Self-response closed on {closes}; contact your enumerator to make changes",
                              params={"closes": "2020-11-05 23:59"})
    assert closed.message["zh"].startswith("自主填报已于 2020-11-05 23:59 截止")
    assert "2020-11-05 23:59" in closed.message["ug"] and closed.message["ug"] != closed.message["en"]
    assert EngineError("odd", "有 {括号}", "has {braces}").message == {"zh": "有 {括号}", "en": "has {braces}",
                                                                   "ug": "has {braces}"}


def test_members_without_a_name_and_routing_explanations_in_uyghur() -> None:
    assert person_fallback(3, "ug") == "3-ئەزا" and person_fallback(3, "zh") == "第3位成员"
    assert person_fallback(None, "ug") == catalogue("ug")["this person"]
    explain = BUILT_IN["help_requested"].explanation
    assert explain is not None
    assert pick(explain, "ug") == catalogue("ug")[explain["en"]]


def test_a_catalogue_ships_beside_the_engine() -> None:
    assert Path(__file__).resolve().parents[2] / "engine" / "locale" == LOCALE
    assert (LOCALE / "ug.po").is_file()
