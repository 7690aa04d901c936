"""`web.fieldhtml`: one question's markup, read back with an HTML parser."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from web.fieldhtml import SELECT_ABOVE, field_html
from web.fields import Choice, FieldView, Part


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each element by id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, str] = {}
        self._open: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in ("input", "meta", "br"):
            self._open.append(dict(attrs).get("id"))

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("input", "meta", "br") and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in self._open:
            if element_id:
                self.text[element_id] = self.text.get(element_id, "") + data

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def view(**kw: Any) -> FieldView:
    base: dict[str, Any] = {"id": "H6", "type": "decimal", "widget": "number", "label": "建筑面积", "hint": None,
                            "optional": False}
    return FieldView(**{**base, **kw})


def test_text_input_carries_value_unit_and_no_hint_links_when_there_is_none() -> None:
    html = field_html(view(value="85.5", unit="平方米", inputmode="decimal", autocomplete="off"), "zh")
    page = Elements(html)
    (box,) = page.find("input", id="field-H6")
    assert box["name"] == "H6" and box["value"] == "85.5" and box["inputmode"] == "decimal"
    assert "input-short" in (box["class"] or "") and "aria-describedby" not in box
    assert page.find("label", **{"for": "field-H6"})
    assert "平方米" in html and 'class="field"' in html


def test_hint_and_error_are_linked_to_the_input_and_marked() -> None:
    page = Elements(field_html(view(hint="按房产证填写", error="请填写建筑面积"), "zh"))
    (box,) = page.find("input", id="field-H6")
    assert box["aria-describedby"] == "hint-H6 error-H6"
    assert page.text["hint-H6"] == "按房产证填写"
    assert page.text["error-H6"] == "错误：请填写建筑面积"
    assert page.find("div", id="wrap-H6", **{"class": "field field-error"})


def test_error_alone_is_the_only_description() -> None:
    page = Elements(field_html(view(error="Enter the floor area"), "en"))
    assert page.find("input", id="field-H6")[0]["aria-describedby"] == "error-H6"


def test_placeholder_only_without_a_hint() -> None:
    bare = Elements(field_html(view(type="year_month", placeholder="1985-06"), "en"))
    hinted = Elements(field_html(view(type="year_month", placeholder="1985-06", hint="Year and month"), "en"))
    assert bare.find("input", id="field-H6")[0]["placeholder"] == "1985-06"
    assert "placeholder" not in hinted.find("input", id="field-H6")[0]


def test_optional_mark_in_the_language_of_the_page() -> None:
    assert "optional" in field_html(view(optional=True), "en").lower()
    assert "选填" in field_html(view(optional=True), "zh")


def test_everything_typed_or_labelled_is_escaped() -> None:
    nasty = '"><script>alert(1)</script>'
    html = field_html(view(id="R1", type="name", widget="text", label=nasty, hint=nasty, value=nasty, error=nasty),
                      "en")
    assert "<script>" not in html
    page = Elements(html)
    assert page.find("input", id="field-R1")[0]["value"] == nasty  # the value survives, as text


def test_radios_tick_the_answer_in_a_fieldset_with_a_legend() -> None:
    choices = [Choice("1", "住房", False), Choice("2", "集体住所", True)]
    page = Elements(field_html(view(id="H5", type="choice", widget="radios", choices=choices), "zh"))
    assert page.find("fieldset", id="field-H5")
    radios = page.find("input", type="radio", name="H5")
    assert [(r["id"], r["value"], "checked" in r) for r in radios] == [("H5-1", "1", False), ("H5-2", "2", True)]
    assert page.find("label", **{"for": "H5-2"})


def test_ticks_follow_each_request_although_the_choices_markup_is_shared() -> None:
    first = [Choice("1", "Yes", True), Choice("2", "No", False)]
    second = [Choice("1", "Yes", False), Choice("2", "No", True)]
    a = Elements(field_html(view(id="Q", type="choice", widget="radios", choices=first), "en"))
    b = Elements(field_html(view(id="Q", type="choice", widget="radios", choices=second), "en"))
    assert ["checked" in r for r in a.find("input", name="Q")] == [True, False]
    assert ["checked" in r for r in b.find("input", name="Q")] == [False, True]


def test_checkboxes_and_yes_no() -> None:
    boxes = Elements(field_html(view(id="M", type="multi_choice", widget="checkboxes",
                                     choices=[Choice("a", "A", True), Choice("b", "B", True)]), "en"))
    assert all("checked" in c for c in boxes.find("input", type="checkbox", name="M"))
    yes_no = field_html(view(id="Y", type="yes_no", widget="yes_no", choices=[Choice("true", "Yes", False)]), "en")
    assert "choices choices-inline" in yes_no


def test_a_long_list_is_a_select_with_an_empty_first_option() -> None:
    many = [Choice(f"{i:02d}", f"民族{i}", i == 7) for i in range(1, SELECT_ABOVE + 5)]
    page = Elements(field_html(view(id="R5", type="choice", widget="radios", choices=many), "zh"))
    assert page.find("select", id="field-R5", name="R5")
    options = page.find("option")
    assert options[0]["value"] == "" and "selected" not in options[0]
    assert [o["value"] for o in options if "selected" in o] == ["07"]
    nothing = Elements(field_html(view(id="R5", type="choice", widget="radios",
                                       choices=[Choice(c.code, c.label, False) for c in many]), "zh"))
    assert "selected" in nothing.find("option")[0]


def test_count_pairs_are_labelled_inputs() -> None:
    parts = [Part("male", "男", "1"), Part("female", "女", "")]
    page = Elements(field_html(view(id="H3", type="count_pair", widget="counts", parts=parts), "zh"))
    assert page.find("fieldset", id="field-H3")
    assert [(i["name"], i["value"]) for i in page.find("input")] == [("H3.male", "1"), ("H3.female", "")]
    assert page.find("label", **{"for": "H3.male"})
