"""A JSON Schema (Draft 2020-12) of the questionnaire language itself, for editors.

`formserver spec-schema -o forms/spec.schema.json` writes it; a YAML language server then
completes keys, shows each key's description on hover and flags unknown keys while a designer
types. The compiler stays the authority (`formserver check` finds everything this cannot:
expressions, references, missing languages); the schema is a fast first line.

It is derived from the compiler so that the two cannot drift apart: the keys of every level come
from the key tuples the builder reads (`build.TOP_KEYS`, `SECTION_KEYS`, `PAGE_KEYS`,
`QUESTION_KEYS`, `logic.CHECK_KEYS`, `ROUTING_KEYS`, `DERIVED_KEYS`, `reasons.REASON_KEYS`), the answer types and the
keys each accepts from `answer_types.ANSWER_TYPES`, the enums from the model's enums, and ids
from `shape.ID_PATTERN`. A key the compiler learns without a description here still appears,
described as `UNDOCUMENTED`, and the tests fail until it is described.

What kind of file: a spec that neither `extends` another nor is an option library must have
`questionnaire`, `version`, `title`, `languages`, `reference_time` and `sections`. An option
library is a file whose only key is `option_lists`. A spec with `extends` may leave out whatever
its base provides. (An `if`/`then` rather than `anyOf`, so that editors report "missing
property" instead of "matches none of the alternatives".)

The schema is tolerant where a YAML 1.1 loader (PyYAML's `safe_load`) reads a value differently
from the compiler's loader: option codes may be numbers (`01` is text to the compiler, 1 to
`safe_load`), labels may be numbers or booleans (`en: Yes`), versions may be numbers. Timestamps
(`2020-11-01T00:00:00+08:00`) are text to YAML 1.2 language servers and must carry an offset.
"""

from __future__ import annotations

from typing import Any

from engine.spec.answer_types import ANSWER_TYPES, DATE_PATTERN, PLACE_CODE_DIGITS, YEAR_MONTH_PATTERN
from engine.spec.branding import BRANDING_KEYS, HELP_KEYS, LINK_KEYS, PHONE_KEYS, PRIVACY_KEYS
from engine.spec.build import FIRST_MEMBER_KEYS, PAGE_KEYS, QUESTION_KEYS, SECTION_KEYS, TOP_KEYS, TYPE_KEYS
from engine.spec.code_list_build import CODE_LIST_KEYS
from engine.spec.logic import CHECK_KEYS, DERIVED_KEYS, ROUTING_KEYS, SPEC_REASONS
from engine.spec.model import RoutingKind, Scope, Severity
from engine.spec.reasons import BUILT_IN, DEFAULT_PRIORITY, MAX_REASON_ID, PRIORITIES, REASON_KEYS
from engine.spec.shape import ID_PATTERN, LANGUAGE_CODE, RESERVED
from engine.spec.specify import MAX_LENGTH_LIMIT, OPTION_KEYS, SPECIFY_KEYS

Schema = dict[str, Any]

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
UNDOCUMENTED = "UNDOCUMENTED: a key the compiler accepts; describe it in engine/spec/spec_schema.py"
AFTER = "after"  # extending specs place new sections, pages and questions with it (compose.py)
OPTION_REQUIRED = ("code", "label")
WINDOW_KEYS = ("opens", "closes")
LIBRARY_KEY = "option_lists"
REQUIRED_TOP = ("questionnaire", "version", "title", "languages", "reference_time", "sections")
NUMERIC_BOUNDS = ("integer", "decimal", "count_pair")  # min/max are numbers; other types use text
TIME_WITH_OFFSET = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
                    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)$")
LANGUAGE_PATTERN = LANGUAGE_CODE.pattern

_WHEN = ("A condition (see Expressions in forms/README.md): asked only when it holds. Only names "
         'questions asked before it. e.g. H5 == "1", age >= 3, answered(D9)')

# Descriptions of every key at every level, in the README's words.
DESCRIPTIONS: dict[str, dict[str, str]] = {
    "top": {
        "questionnaire": "Id of the questionnaire (stable; stored with every answer), e.g. census2020-short.",
        "version": 'Version of this questionnaire. Quote it: 2020.10 would otherwise be the number 2020.1, '
                   'e.g. "2020.1".',
        "title": "Title of the questionnaire: one text per declared language, e.g. "
                 "{zh: 第七次全国人口普查短表, en: ...}.",
        "description": "A note about this spec for designers (not shown to households): a text, or one text "
                       "per language.",
        "languages": "The languages of every text, Chinese first (households see zh by default), e.g. "
                     "[zh, en]. Every label then needs one entry per language (LABEL_MISSING_LANGUAGE).",
        "reference_time": "The census moment, with its UTC offset; ages are exact ages at it, e.g. "
                          "2020-11-01T00:00:00+08:00.",
        "self_response": "When households may fill in and correct the form: opens and closes, with UTC "
                         "offsets.",
        "extends": "File name of another spec (relative to this one): everything of it, then this spec's "
                   "changes. Sections and pages with an id the base has are merged; new ones are appended or "
                   "placed with after.",
        "imports": "Option libraries (files holding only option_lists:) whose lists this spec uses, e.g. "
                   "[options.yaml].",
        "option_lists": "Option lists of this spec, declared once and referred to by name from a question's "
                        "options. A list of the same name replaces the base's.",
        "code_lists": "Code lists read from CSV files (code,name,parent), for questions of type code: "
                      "{divisions: {file: divisions/china.csv, levels: {province: {zh: 省级, en: Province}, "
                      "...}}}.",
        "derived": "Values computed from answers, e.g. age: stored (read-only) in the document and usable in "
                   "expressions like questions once their inputs are asked.",
        "sections": "What is asked: sections of pages of questions. A household section is asked once; a "
                    "section with repeat: members once per household member.",
        "checks": "Household-level checks: they belong to the household and may look at every member "
                  "(any, all, count over members).",
        "routing_reasons": "Reasons of this spec for sending a household to an enumerator, beside the built-in "
                           "ones (long_form_sample, overseas_member, and those the engine raises itself): each "
                           "with id, label, queue (what the enumerator's queue says) and priority (1 most "
                           "urgent to 9, default 5). A reason of the same id replaces the base's.",
        "routing": "When a household goes to an enumerator: one rule per reason.",
        "migrations": "How answers given under the version before this one become answers of this one, so "
                      "that households in progress can move to it: from (that version), rename {old: new}, "
                      "recode {question: {old code: new code}}, drop [removed questions]. Not inherited "
                      "through extends.",
        "branding": "The census's own texts around the questions: its name at the top of every page, who "
                    "issues it, the privacy notice, the legal footer and the help contacts. The web app shows "
                    "the block of the self-response form; without one the title names the census.",
    },
    "branding": {
        "name": "The census's name at the top of every page, one text per language, e.g. {en: 2020 Census, "
                "es: Censo del 2020}.",
        "short_name": "A shorter name for the browser's tab (default: name), e.g. {zh: 人口普查, en: Census}.",
        "issuer": "Who conducts the census, shown at the foot of every page, e.g. {en: U.S. Census Bureau}.",
        "privacy": "The privacy notice households read before they sign in: paragraphs (why the answers are "
                   "collected, the law that protects them) and an optional link to the full notice.",
        "footer": "The legal line at the foot of every page (the law, an approval number), one text per "
                  "language.",
        "help": "Where households get help: phones (each a number with an optional label), hours, web "
                "(an https:// address) and email.",
    },
    "privacy": {
        "paragraphs": "The notice, one text per paragraph, each with one text per language.",
        "link": "The full notice: {url: https://..., label: {...}} (without a label the address is shown).",
    },
    "link": {
        "url": "The address, starting with https:// (or http://).",
        "label": "The link's words, one text per language (default: the address).",
    },
    "help": {
        "phones": 'Help lines: a list of {number: "844-330-2020", label: {en: English, ...}}.',
        "hours": "When the phones are answered, one text per language.",
        "web": "A website for help, starting with https://.",
        "email": "An email address for help.",
    },
    "help_phone": {
        "number": 'The number as households dial it, e.g. "844-330-2020" (quote it).',
        "label": "Whom the line serves, one text per language, e.g. {en: Spanish, es: Español}.",
    },
    "self_response": {
        "opens": "When households may start filling in, with its UTC offset, e.g. 2020-10-11T00:00:00+08:00.",
        "closes": "When self-response ends, with its UTC offset, e.g. 2020-11-05T23:59:59+08:00. A household "
                  "not submitted by then goes to an enumerator (non_response).",
    },
    "code_list": {
        "file": "The CSV file, relative to the spec that declares the list: a line code,name,parent, then "
                "one row per code (parent: the code one level up; empty at the top).",
        "levels": "The levels from the top down, each with its label, e.g. {province: {zh: 省级, en: "
                  "Province}, county: {zh: 县级, en: County}}: a row's level is its depth.",
    },
    "option": {
        "code": 'The stored code. Codes are text: quote them ("1", "01").',
        "label": "What people see: one text per declared language, e.g. {zh: 男, en: Male}.",
        "specify": "specify: true opens a text field under the option (其他，请注明), asked when the option is "
                   "chosen and stored as <question id>_other; or {name: other, label: {...}, max_length: 50}.",
        "exclusive": "multi_choice: exclusive: true makes the option an answer only alone (无 / none of "
                     "these); ticked with another option it is an error.",
    },
    "specify": {
        "name": "The text is stored as <question id>_<name> (default other: D10_other).",
        "label": "The text field's label (default: the option's label, then 请注明 / please specify).",
        "max_length": "The most characters of the text (default 50).",
    },
    "section": {
        "id": "Unique id of the section (unique among all ids of the spec). In an extending spec, the id "
              "of a base section merges into it.",
        "title": "Title of the section: one text per declared language.",
        "when": "A condition on the whole section: " + _WHEN,
        "repeat": "repeat: members asks the section once per household member; without it the section is "
                  "asked once per household.",
        "member_name": "In a repeated section, the text or name question whose answer names the member, so "
                       "{D1} in texts shows the member's name.",
        "size": "In a repeated section, how many members the household says it has: a number over the "
                "household's answers, e.g. H2.present + H2.absent. Progress counts the pages of those "
                "not entered yet.",
        "first_member": "In a repeated section, who must be entered first (label), and when (a condition over "
                        "the household's answers): the button that adds the first member names it.",
        "pages": "The pages of the section, one per screen.",
        "questions": "A section without pages may hold questions directly: they form one page.",
        AFTER: "Only in a spec that extends another: place this new section after the base's section with "
               "this id.",
    },
    "first_member": {
        "label": "Who the first member must be: one text per declared language, e.g. {zh: 户主, en: head of "
                 "household}.",
        "when": 'When it applies, over the household\'s answers, e.g. H1 == "1"; always without it.',
    },
    "page": {
        "id": "Unique id of the page. In an extending spec, the id of a base page adds this page's questions "
              "to it.",
        "title": "Title of the page: one text per declared language (may pipe answers, e.g. \"{D1}的语言\").",
        "when": "A condition on the whole page (a page may be skipped): " + _WHEN,
        "questions": "The questions on this page, in order.",
        AFTER: "Only in a spec that extends another: place this new page after the page with this id.",
    },
    "question": {
        "id": "Unique id of the question: what expressions, stored answers and form inputs use, e.g. H5. "
              "Starts with a letter; letters, digits and _.",
        "type": "The answer type; it decides which other keys apply.",
        "label": "The question as shown: one text per declared language. {D1} is replaced by that answer of "
                 "the same record.",
        "hint": "A help text under the question: one text per declared language.",
        "optional": "optional: true lets the question be left blank (questions are required unless marked).",
        "when": _WHEN,
        "checks": "Checks on this question's answers: errors block, warnings must be confirmed.",
        "max_length": "text, name: the longest answer allowed, in characters (1 to 10000).",
        "min": 'integer, decimal: the smallest number allowed. year_month: the earliest, as "1900-01"; '
               'date: as "1900-01-01".',
        "max": 'integer, decimal: the largest number allowed; count_pair: the largest count of each part. '
               'year_month: the latest, as "2020-11"; date: as "2020-11-01".',
        "unit": "integer, decimal: the unit shown after the input, one text per language, e.g. "
                "{zh: 平方米, en: m²}.",
        "places": "decimal: how many decimals are allowed (0 to 6, default 2).",
        "options": "choice, multi_choice: the name of an option list (declared under option_lists: or "
                   "imported), or the options inline as a list of {code, label}.",
        "min_selected": "multi_choice: the fewest options to tick (default 1; 0 allows none).",
        "max_selected": "multi_choice: the most options that may be ticked.",
        "level": "place_code: county (6 digits), township (9, default) or village (12). code: one of the "
                 "levels of its code list (default: the deepest).",
        "code_list": "code: the name of a code list declared under code_lists:, e.g. divisions.",
        "parent": "code: the code question one level up (asked before it) whose answer this code lies "
                  "under; the question is asked once that one is answered, e.g. D8_county.",
        "region": "phone: the country or region whose numbers are accepted (ISO 3166-1 alpha-2, e.g. US; "
                  "default CN). Checked with phonenumbers; stored in E.164 (+12025550143) except CN's.",
        "scheme": "national_id: the identity number scheme, a python-stdnum module such as cn.ric, us.ssn "
                  "or gb.nino; its format and check digits are verified.",
        "parts": "count_pair: two or more named counts answered together, each with its label, e.g. "
                 "{male: {zh: 男, en: Male}, female: {zh: 女, en: Female}}.",
        AFTER: "Only in a spec that extends another: place this new question after the question with this "
               "id.",
    },
    "check": {
        "id": "A stable id for the check (optional): confirmations of warnings are bound to it.",
        "check": 'An expression that must hold, e.g. H6 <= 1000. Checks may read any answer of the record; '
                 'household checks also any(members, ...), all(...), count(...).',
        "severity": "error (default) blocks submission; warning must be confirmed by the respondent.",
        "message": "Shown when the check does not hold: one text per declared language. {D1} pipes an answer; "
                   "{count(members)} or {H2.present + H2.absent} pipes the value of an expression.",
    },
    "derived": {
        "id": "Unique id of the derived value, used in expressions like a question id, e.g. age.",
        "scope": "member (default): one value per member; household: one value for the household.",
        "value": "The expression computing it, e.g. age(D5). A circle of derived values is DERIVED_CYCLE.",
        "label": "What the value means: one text per declared language.",
    },
    "routing": {
        "reason": "Why the household needs an enumerator: a reason declared under routing_reasons:, or "
                  "long_form_sample or overseas_member. (The engine adds non_response, help_requested and "
                  "suspected_duplicate by itself.)",
        "kind": "hand_over (default): in-person enumeration, self-response ends; notify: the enumerator's "
                "queue, self-response stays open.",
        "form": "The questionnaire id the enumerator uses, e.g. census2020-overseas.",
        "when": 'The condition, over the household and its members, e.g. any(members, m.S1 != "1").',
        "explain": "What the household is told: one text per declared language. Required when the rule "
                   "hands the household over; a notify rule may tell nothing.",
    },
    "routing_reason": {
        "id": "The reason's id, as rules name it and households' rows store it, e.g. large_household (at "
              "most 40 characters; not the id of a built-in reason).",
        "label": "What the census office and enumerators call it: one text per declared language.",
        "queue": "What the enumerator's queue says about a household with this reason: one text per "
                 "declared language, e.g. {en: More than 6 people: call to complete the roster}.",
        "priority": "How urgent: 1 (most urgent) to 9; the queue lists households by their most urgent "
                    "reason. Default 5.",
    },
}


def _described(level: str, key: str, shape: Schema) -> Schema:
    return {**shape, "description": DESCRIPTIONS.get(level, {}).get(key, UNDOCUMENTED)}


def _properties(level: str, keys: tuple[str, ...] | list[str], shapes: dict[str, Schema]) -> Schema:
    """One property per key the compiler accepts, in its order, each with its description."""
    return {key: _described(level, key, shapes.get(key, {})) for key in keys}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def _array(item: Schema, min_items: int = 1) -> Schema:
    return {"type": "array", "items": item, "minItems": min_items}


def _closed(level: str, keys: tuple[str, ...] | list[str], shapes: dict[str, Schema],
            required: tuple[str, ...] = (), **extra: Any) -> Schema:
    out: Schema = {"type": "object", "properties": _properties(level, keys, shapes),
                   "additionalProperties": False}
    if required:
        out["required"] = list(required)
    out.update(extra)
    return out


def _type_rules() -> list[Schema]:
    """Per answer type: keys of other types are not allowed, and its own keys get their exact shape."""
    rules: list[Schema] = []
    for name, answer_type in ANSWER_TYPES.items():
        then: Schema = {"properties": {key: False for key in sorted(TYPE_KEYS - answer_type.keys)}}
        shapes: Schema = {}
        for bound in ("min", "max"):
            if bound in answer_type.keys:
                if name in NUMERIC_BOUNDS:
                    shapes[bound] = {"type": "number"}
                elif name == "year_month":
                    shapes[bound] = {"type": "string", "pattern": YEAR_MONTH_PATTERN}
                else:
                    shapes[bound] = {"type": "string", "pattern": DATE_PATTERN}
        if name == "place_code":
            shapes["level"] = {"enum": list(PLACE_CODE_DIGITS)}
        then["properties"].update(shapes)
        required = [key for key, needed in (("options", answer_type.needs_options),
                                            ("parts", name == "count_pair"), ("code_list", name == "code"))
                    if needed]
        if required:
            then["required"] = required
        rules.append({"if": {"properties": {"type": {"const": name}}, "required": ["type"]}, "then": then})
    return rules


def _defs() -> Schema:
    text_value = {"type": ["string", "number", "boolean"],
                  "description": "The text in this language. (A YAML 1.1 loader reads an unquoted Yes as "
                                 "true; quote such texts.)"}
    label: Schema = {
        "type": "object",
        "description": "One text per declared language, e.g. {zh: 性别, en: Sex}.",
        "propertyNames": {"pattern": LANGUAGE_PATTERN},
        "additionalProperties": text_value,
        "minProperties": 1,
    }
    expression = {"type": ["string", "boolean", "number"],
                  "description": "An expression (forms/README.md, Expressions): parsed, never executed."}
    ident = {"type": "string", "pattern": ID_PATTERN.pattern}
    symbol = {**ident, "not": {"enum": sorted(RESERVED)}}
    time = {"type": "string", "pattern": TIME_WITH_OFFSET}
    specify = _closed("specify", SPECIFY_KEYS, {
        "name": ident,
        "label": _ref("label"),
        "max_length": {"type": "integer", "minimum": 1, "maximum": MAX_LENGTH_LIMIT},
    })
    option = _closed("option", OPTION_KEYS, {
        "code": {"type": ["string", "integer"], "minLength": 1},
        "label": _ref("label"),
        "specify": {"anyOf": [{"type": "boolean"}, specify]},
        "exclusive": {"type": "boolean"},
    }, required=OPTION_REQUIRED)
    check = _closed("check", CHECK_KEYS, {
        "id": ident,
        "check": _ref("expression"),
        "severity": {"enum": [s.value for s in Severity]},
        "message": _ref("label"),
    }, required=("check", "message"))
    derived = _closed("derived", DERIVED_KEYS, {
        "id": symbol,
        "scope": {"enum": [s.value for s in Scope]},
        "value": _ref("expression"),
        "label": _ref("label"),
    }, required=("id", "value"))
    routing_reason = _closed("routing_reason", REASON_KEYS, {
        "id": {**ident, "maxLength": MAX_REASON_ID, "not": {"enum": sorted(BUILT_IN)}},
        "label": _ref("label"),
        "queue": _ref("label"),
        "priority": {"type": "integer", "minimum": PRIORITIES.start, "maximum": PRIORITIES.stop - 1,
                     "default": DEFAULT_PRIORITY},
    }, required=("id", "label", "queue"))
    routing = _closed("routing", ROUTING_KEYS, {
        "reason": {**ident, "examples": sorted(SPEC_REASONS),
                   "not": {"enum": sorted(r.id for r in BUILT_IN.values() if r.engine_raised)}},
        "kind": {"enum": [k.value for k in RoutingKind]},
        "form": {"type": "string", "minLength": 1},
        "when": _ref("expression"),
        "explain": _ref("label"),
    }, required=("reason", "when"))
    type_docs = "; ".join(f"{name}: {t.doc}" for name, t in ANSWER_TYPES.items())
    question_shapes: dict[str, Schema] = {
        "id": symbol,
        "type": {"enum": list(ANSWER_TYPES)},
        "label": _ref("label"),
        "hint": _ref("label"),
        "optional": {"type": "boolean"},
        "when": _ref("expression"),
        "checks": _array(_ref("check"), 0),
        "max_length": {"type": "integer", "minimum": 1, "maximum": 10000},
        "min": {"type": ["number", "string"]},
        "max": {"type": ["number", "string"]},
        "unit": _ref("label"),
        "places": {"type": "integer", "minimum": 0, "maximum": 6},
        "options": {"anyOf": [{"type": "string", "description": "The name of an option list."},
                              _ref("option_list")]},
        "min_selected": {"type": "integer", "minimum": 0, "maximum": 1000},
        "max_selected": {"type": "integer", "minimum": 1, "maximum": 1000},
        "level": ident,
        "code_list": ident,
        "parent": ident,
        "region": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "scheme": {"type": "string", "pattern": "^[a-z]{2,3}_?\\.[a-z][a-z0-9_]*$"},
        "parts": {"type": "object", "propertyNames": {"pattern": ID_PATTERN.pattern},
                  "additionalProperties": _ref("label"), "minProperties": 2},
        AFTER: ident,
    }
    question_keys = [*QUESTION_KEYS, *sorted(TYPE_KEYS), AFTER]
    question = _closed("question", question_keys, question_shapes, required=("id", "type", "label"),
                       allOf=_type_rules())
    question["properties"]["type"]["description"] += " Types: " + type_docs + "."
    page = _closed("page", [*PAGE_KEYS, AFTER], {
        "id": ident,
        "title": _ref("label"),
        "when": _ref("expression"),
        "questions": _array(_ref("question")),
        AFTER: ident,
    }, required=("id",))
    section = _closed("section", [*SECTION_KEYS, AFTER], {
        "id": ident,
        "title": _ref("label"),
        "when": _ref("expression"),
        "repeat": {"enum": ["members"]},
        "member_name": ident,
        "size": _ref("expression"),
        "first_member": _closed("first_member", FIRST_MEMBER_KEYS, {"label": _ref("label"),
                                                                     "when": _ref("expression")},
                                required=("label",)),
        "pages": _array(_ref("page")),
        "questions": _array(_ref("question")),
        AFTER: ident,
    }, required=("id",))
    section["not"] = {"required": ["pages", "questions"],
                      "description": "A section has either pages or questions, not both."}
    url = {"type": "string", "pattern": "^https?://"}
    link = _closed("link", LINK_KEYS, {"url": url, "label": _ref("label")}, required=("url",))
    branding = _closed("branding", BRANDING_KEYS, {
        "name": _ref("label"),
        "short_name": _ref("label"),
        "issuer": _ref("label"),
        "privacy": _closed("privacy", PRIVACY_KEYS, {"paragraphs": _array(_ref("label")), "link": link},
                           required=("paragraphs",)),
        "footer": _ref("label"),
        "help": _closed("help", HELP_KEYS, {
            "phones": _array(_closed("help_phone", PHONE_KEYS, {"number": {"type": ["string", "integer"]},
                                                                "label": _ref("label")}, required=("number",))),
            "hours": _ref("label"),
            "web": url,
            "email": {"type": "string", "pattern": "^[^\\s@]+@[^\\s@]+$"},
        }, minProperties=1),
    }, required=("name",))
    return {
        "label": label,
        "branding": branding,
        "expression": expression,
        "time": time,
        "option": option,
        "option_list": _array(_ref("option")),
        "code_list": _closed("code_list", CODE_LIST_KEYS, {
            "file": {"type": "string", "minLength": 1},
            "levels": {"type": "object", "propertyNames": {"pattern": ID_PATTERN.pattern},
                       "additionalProperties": _ref("label"), "minProperties": 1},
        }, required=CODE_LIST_KEYS),
        "check": check,
        "derived": derived,
        "routing_reason": routing_reason,
        "routing": routing,
        "question": question,
        "page": page,
        "section": section,
    }


def language_schema() -> Schema:
    """The JSON Schema of a questionnaire spec or option library file (see the module docstring)."""
    window = _closed("self_response", WINDOW_KEYS, {"opens": _ref("time"), "closes": _ref("time")},
                     required=WINDOW_KEYS)
    top_shapes: dict[str, Schema] = {
        "questionnaire": {"type": "string", "minLength": 1},
        "version": {"type": ["string", "number"]},
        "title": _ref("label"),
        "description": {"anyOf": [{"type": "string"}, _ref("label")]},
        "languages": {"type": "array", "items": {"type": "string", "pattern": LANGUAGE_PATTERN},
                      "minItems": 1, "uniqueItems": True},
        "reference_time": _ref("time"),
        "self_response": window,
        "extends": {"type": "string", "minLength": 1},
        "imports": _array({"type": "string", "minLength": 1}, 0),
        "option_lists": {"type": "object", "additionalProperties": _ref("option_list")},
        "code_lists": {"type": "object", "propertyNames": {"pattern": ID_PATTERN.pattern},
                       "additionalProperties": _ref("code_list")},
        "derived": _array(_ref("derived"), 0),
        "sections": _array(_ref("section")),
        "checks": _array(_ref("check"), 0),
        "routing_reasons": _array(_ref("routing_reason"), 0),
        "routing": _array(_ref("routing"), 0),
        "branding": _ref("branding"),
        "migrations": {
            "type": "object", "required": ["from"], "additionalProperties": False,
            "properties": {
                "from": {"type": ["string", "number"], "description": "The version households answered."},
                "rename": {"type": "object", "additionalProperties": {"type": "string"},
                           "description": "Old question id: new question id."},
                "recode": {"type": "object", "additionalProperties": {
                    "type": "object", "additionalProperties": {"type": ["string", "integer"]}},
                    "description": "Question (its new id): {old code: new code}."},
                "drop": {"type": "array", "items": {"type": "string"},
                         "description": "Questions removed on purpose: their answers are discarded."},
            },
        },
    }
    library = {"required": [LIBRARY_KEY], "propertyNames": {"const": LIBRARY_KEY}}
    return {
        "$schema": SCHEMA_URI,
        "$id": "urn:formserver:questionnaire-language",
        "title": "formserver questionnaire spec",
        "description": "A census questionnaire (forms/README.md), or an option library (a file holding only "
                       "option_lists:). Run `formserver check` for everything a schema cannot see.",
        "$comment": "A spec that neither extends another nor is an option library needs "
                    + ", ".join(REQUIRED_TOP) + ".",
        **_closed("top", TOP_KEYS, top_shapes),
        "allOf": [{
            "if": {"not": {"anyOf": [{"required": ["extends"]}, library]}},
            "then": {"required": list(REQUIRED_TOP)},
        }],
        "$defs": _defs(),
    }


__all__ = ["DESCRIPTIONS", "UNDOCUMENTED", "language_schema"]
