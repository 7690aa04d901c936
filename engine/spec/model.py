"""The compiled questionnaire: frozen, typed, built once per spec version and shared by all.

Nothing here validates: the compiler proved the spec valid before building these, and the
runtime trusts them. Mappings are exposed as `MappingProxyType` and sequences as tuples so
that no request can change the model another request is using.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

from engine.spec.diagnostics import Position

if TYPE_CHECKING:
    from engine.spec.code_lists import CodeList
    from engine.spec.expressions import CompiledExpression

Text = Mapping[str, str]  # language code -> text, one entry per declared language
# A member's id in a document: m1, m2, ... (never reused); `(?!\n)`: not "m1\n" (see schema_patterns.END).
MEMBER_ID_PATTERN = "^m[0-9]{1,6}(?!\\n)$"
MAX_MEMBERS = 2000  # above any real collective household entered online; bounds the work per request


class Scope(enum.Enum):
    HOUSEHOLD = "household"
    MEMBER = "member"


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class RoutingKind(enum.Enum):
    HAND_OVER = "hand_over"  # in-person enumeration; self-response ends
    NOTIFY = "notify"  # enumerator's queue; self-response stays open


class BuiltInReason(enum.StrEnum):
    """The engine's own routing reasons (their texts: `engine.spec.reasons.BUILT_IN`). Spec rules
    may use the first two; the engine raises the others from operational facts (the clock, the
    household, the office). A spec may declare more (`routing_reasons:`): a reason is its id."""

    LONG_FORM_SAMPLE = "long_form_sample"
    OVERSEAS_MEMBER = "overseas_member"
    NON_RESPONSE = "non_response"
    HELP_REQUESTED = "help_requested"
    SUSPECTED_DUPLICATE = "suspected_duplicate"


@dataclass(frozen=True, slots=True)
class RoutingReason:
    """Why a household needs an enumerator: one of the engine's (`BuiltInReason`) or one a spec
    declares. What households are told is the spec rule's `explain` (one rule per reason), so only
    the reasons the engine raises itself carry it here."""

    id: str  # stored in the household's row (comma-separated ids)
    label: Text  # what the office and enumerators call it
    queue: Text  # what the enumerator's queue says about a household with it
    priority: int  # 1 (most urgent) to 9; the queue lists the most urgent first
    kind: RoutingKind = RoutingKind.HAND_OVER  # engine-raised: their kind; else a rule's default
    explanation: Text | None = None  # engine-raised: what the household is told
    engine_raised: bool = False  # raised from operational facts: no spec rule may name it
    position: Position | None = None  # where a spec declares it; None: built in


@dataclass(frozen=True, slots=True)
class Specify:
    """An option that opens a text field ("其他，请注明"): the text is the answer to a text
    question the compiler adds after the option's question, `<question id>_<name>`."""

    name: str  # "other": D10's text is stored as D10_other
    label: Text | None  # None: "<option label>，请注明" / "<option label>, please specify"
    max_length: int
    position: Position  # of the `specify` key: where messages about it point


@dataclass(frozen=True, slots=True)
class Option:
    code: str
    label: Text
    specify: Specify | None = None
    exclusive: bool = False  # multi_choice: ticked only alone ("none of these")


@dataclass(frozen=True, slots=True)
class OptionList:
    name: str
    options: tuple[Option, ...]
    owner: str | None = None  # the question whose inline options these are (their name is made up)

    def describe(self) -> str:
        """How messages name it: as the designer wrote it, never by a made-up name."""
        return f"the options of {self.owner}" if self.owner else f'option list "{self.name}"'

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)

    @property
    def exclusive_codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options if o.exclusive)

    def label_of(self, code: str) -> Text | None:
        for option in self.options:
            if option.code == code:
                return option.label
        return None


@dataclass(frozen=True, slots=True)
class Check:
    """A constraint: `expression` must hold; an error blocks, a warning must be confirmed."""

    id: str
    expression: CompiledExpression
    message: Text
    severity: Severity
    position: Position
    # Questions whose answers the confirmation of a warning is bound to (its inputs).
    inputs: tuple[str, ...] = ()
    # Expressions piped into the message, by their text: `{count(members)}`.
    pipes: Mapping[str, CompiledExpression] = field(default_factory=lambda: MappingProxyType({}))
    # The questions of its record whose answers it reads (derived values traced to theirs): the
    # pages where what it says can be put right.
    questions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CountPart:
    name: str
    label: Text


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    type: str
    label: Text
    scope: Scope
    section_id: str
    page_id: str
    index: int  # order in the whole questionnaire; references must point backwards
    position: Position
    hint: Text | None = None
    optional: bool = False
    when: CompiledExpression | None = None
    # The conjunction of the section's, the page's and the question's own `when`.
    relevance: tuple[CompiledExpression, ...] = ()
    options: OptionList | None = None
    unit: Text | None = None
    minimum: float | int | str | None = None  # str for year-month and date bounds
    maximum: float | int | str | None = None
    places: int | None = None
    max_length: int | None = None
    level: str | None = None  # place codes: county (6), township (9) or village (12)
    parts: tuple[CountPart, ...] = ()
    min_selected: int | None = None
    max_selected: int | None = None
    checks: tuple[Check, ...] = ()
    region: str | None = None  # phone: the numbering plan's region (ISO 3166-1 alpha-2); None: CN
    scheme: str | None = None  # national_id: the python-stdnum scheme, e.g. cn.ric or us.ssn
    # Code questions: the list, and the question whose answer (a code one level up) holds this one.
    code_list: CodeList | None = None
    parent: str | None = None
    # The text of an option that opens one: (the choice question's id, the option's code). Such
    # a question is asked when that option is chosen, and shown under the option.
    specifies: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    title: Text | None
    section_id: str
    scope: Scope
    questions: tuple[Question, ...]
    when: CompiledExpression | None
    position: Position


@dataclass(frozen=True, slots=True)
class FirstMember:
    """Who the first member entered must be (`label`, e.g. the head of household), when it applies."""

    label: Text
    when: CompiledExpression | None = None  # over the household's answers; None: always


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: Text
    scope: Scope
    pages: tuple[Page, ...]
    when: CompiledExpression | None
    position: Position
    member_name: str | None = None  # the question whose answer names a member (piping)
    # Repeated sections: how many members the household says it has (over its answers) ...
    size: CompiledExpression | None = None
    first_member: FirstMember | None = None  # ... and who must be entered first


@dataclass(frozen=True, slots=True)
class Derived:
    id: str
    scope: Scope
    expression: CompiledExpression
    label: Text | None
    index: float  # after the last question it depends on
    position: Position


@dataclass(frozen=True, slots=True)
class RoutingRule:
    reason: str  # a reason's id: built in (`BuiltInReason`) or declared in `Questionnaire.reasons`
    kind: RoutingKind
    form: str | None
    when: CompiledExpression
    explanation: Text  # what the household is told; empty: nothing (a notify rule may say nothing)
    position: Position


@dataclass(frozen=True, slots=True)
class Migration:
    """How answers given under an earlier version become answers of this one (`migrations:`)."""

    from_version: str
    rename: Mapping[str, str]  # old question id -> new
    recode: Mapping[str, Mapping[str, str]]  # question (new id) -> {old code: new code}
    drop: tuple[str, ...]  # old questions whose answers are discarded on purpose
    position: Position


@dataclass(frozen=True, slots=True)
class Link:
    url: str  # http(s)://, checked by the compiler
    label: Text | None = None  # None: the address is shown


@dataclass(frozen=True, slots=True)
class HelpPhone:
    number: str  # as the census prints it: "844-330-2020"
    label: Text | None = None  # whom it serves: "Spanish", "TDD"


@dataclass(frozen=True, slots=True)
class Help:
    """Where households get help: phones, their hours, a website, an email address."""

    phones: tuple[HelpPhone, ...] = ()
    hours: Text | None = None
    web: Link | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Branding:
    """The census's fixed texts around the questions (`branding:`): its name at the top of
    every page, who issues it, the privacy notice, the legal footer and the help contacts."""

    name: Text  # "7th National Population Census", "2020 Census"
    short_name: Text  # in the browser's tab: "Census"
    issuer: Text | None = None
    privacy: tuple[Text, ...] = ()  # paragraphs of the privacy notice
    privacy_link: Link | None = None
    footer: Text | None = None
    help: Help | None = None


@dataclass(frozen=True, slots=True)
class SelfResponseWindow:
    opens: datetime
    closes: datetime

    def is_open(self, at: datetime) -> bool:
        return self.opens <= at <= self.closes


@dataclass(frozen=True, slots=True)
class Questionnaire:
    id: str
    version: str
    title: Text
    languages: tuple[str, ...]
    reference_time: datetime
    window: SelfResponseWindow | None
    sections: tuple[Section, ...]
    option_lists: Mapping[str, OptionList]
    derived: tuple[Derived, ...]
    checks: tuple[Check, ...]  # household-level checks, may look across members
    routing: tuple[RoutingRule, ...]
    source: str
    extends: str | None = None
    # Indexes built by the compiler once, for the runtime's lookups.
    questions: Mapping[str, Question] = field(default_factory=lambda: MappingProxyType({}))
    migration: Migration | None = None
    code_lists: Mapping[str, CodeList] = field(default_factory=lambda: MappingProxyType({}))
    # The reasons this spec declares (`routing_reasons:`), by id; the built-in ones are not here.
    reasons: Mapping[str, RoutingReason] = field(default_factory=lambda: MappingProxyType({}))
    branding: Branding | None = None  # None: the title names the census, and nothing else is said

    @property
    def household_sections(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.scope is Scope.HOUSEHOLD)

    @property
    def member_sections(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.scope is Scope.MEMBER)

    def questions_in(self, scope: Scope) -> tuple[Question, ...]:
        return tuple(q for q in self.questions.values() if q.scope is scope)

    def derived_in(self, scope: Scope) -> tuple[Derived, ...]:
        return tuple(d for d in self.derived if d.scope is scope)

    @property
    def roster_section(self) -> Section | None:
        """The section asked once per member (the compiler allows the roster keys only there)."""
        return next(iter(self.member_sections), None)

    @property
    def member_name_question(self) -> str | None:
        for section in self.member_sections:
            if section.member_name:
                return section.member_name
        return None
