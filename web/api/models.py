"""The API's request and response models (pydantic v2). They validate what comes in, shape what
goes out, and are the OpenAPI document's schemas (`web.api.openapi`): one declaration for all
three. Texts are `{"zh": ..., "en": ...}` (every language the questionnaire declares)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.runtime.lifecycle import HouseholdState
from engine.spec.reasons import MAX_REASON_ID, PRIORITIES
from engine.spec.shape import ID_PATTERN

Text = dict[str, str]
Strict = ConfigDict(extra="forbid")
ReasonId = Annotated[str, Field(min_length=1, max_length=MAX_REASON_ID, pattern=ID_PATTERN.pattern,
                                description="a routing reason's id: built in, or declared by a questionnaire")]


# -- sessions -----------------------------------------------------------------------------------------
class QrSignIn(BaseModel):
    """A household, by the token of its QR code."""

    model_config = Strict
    qr_token: str = Field(min_length=1, max_length=100)


class HouseholdSignIn(BaseModel):
    """A household, by the account code and password on its slip."""

    model_config = Strict
    account: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=100)


class StaffSignIn(BaseModel):
    """An enumerator or the census office."""

    model_config = Strict
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


SignIn = QrSignIn | HouseholdSignIn | StaffSignIn


class SessionOut(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`; opaque, ends with sign-out.")
    expires_at: datetime = Field(description="When it ends unless used (idle timeout, capped by the absolute one).")
    role: Literal["household", "enumerator", "office"]


# -- problems (RFC 9457) ----------------------------------------------------------------------------
class FieldError(BaseModel):
    record: str | None = Field(None, description="`household`, a member id, or null for the request as a whole")
    field: str | None = Field(None, description="the question id or the request field")
    code: str
    message: Text


class Problem(BaseModel):
    """`application/problem+json`. `code` is stable; `detail` is in the language asked for."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] = []
    household: HouseholdOut | None = Field(None, description="412: the household as it stands now")


# -- the questionnaire ------------------------------------------------------------------------------------
class OptionOut(BaseModel):
    code: str
    label: Text


class CheckOut(BaseModel):
    id: str
    severity: Literal["error", "warning"]
    expression: str = Field(description="must hold; in the questionnaire's expression language")
    message: Text


class PartOut(BaseModel):
    name: str
    label: Text


class CodeListOut(BaseModel):
    """A hierarchical code list a question's answer comes from (its codes are in the JSON Schema;
    the pages search it by name)."""

    name: str
    levels: list[str]
    level_labels: dict[str, Text]


class QuestionOut(BaseModel):
    id: str
    type: str
    label: Text
    hint: Text | None = None
    unit: Text | None = None
    optional: bool = False
    when: str | None = Field(None, description="asked only when this holds (its own condition)")
    relevance: list[str] = Field(description="every condition it is asked under: section, page, its own")
    options: list[OptionOut] | None = None
    code_list: CodeListOut | None = None
    minimum: float | int | str | None = None
    maximum: float | int | str | None = None
    places: int | None = None
    max_length: int | None = None
    parts: list[PartOut] = []
    min_selected: int | None = None
    max_selected: int | None = None
    checks: list[CheckOut] = []


class PageOut(BaseModel):
    id: str
    title: Text | None
    when: str | None
    questions: list[QuestionOut]


class SectionOut(BaseModel):
    id: str
    scope: Literal["household", "member"]
    title: Text
    when: str | None
    size: str | None = Field(None, description="member sections: how many members the household says it has")
    pages: list[PageOut]


class ReasonOut(BaseModel):
    """A routing reason: what staff call it and what the enumerator's queue says of it."""

    id: str
    label: Text
    queue: Text = Field(description="what the enumerator's queue says about a household with it")
    priority: int = Field(ge=PRIORITIES.start, le=PRIORITIES.stop - 1,
                          description="1 most urgent to 9: the queue lists households by their most urgent reason")
    built_in: bool = Field(description="the engine's own; false: declared by a questionnaire (routing_reasons:)")


class RoutingRuleOut(BaseModel):
    reason: str
    kind: Literal["hand_over", "notify"]
    when: str
    explanation: Text


class WindowOut(BaseModel):
    opens: datetime
    closes: datetime


class LinkOut(BaseModel):
    url: str
    label: Text | None


class HelpPhoneOut(BaseModel):
    number: str = Field(description="as the census prints it, e.g. 844-330-2020")
    label: Text | None


class HelpOut(BaseModel):
    phones: list[HelpPhoneOut]
    hours: Text | None
    web: str | None
    email: str | None


class BrandingOut(BaseModel):
    """The census's own texts, to show around the questions as the web pages do."""

    name: Text
    short_name: Text
    issuer: Text | None
    privacy: list[Text] = Field(description="the privacy notice, a text per paragraph")
    privacy_link: LinkOut | None
    footer: Text | None
    help: HelpOut | None


class QuestionnaireOut(BaseModel):
    id: str
    version: str
    title: Text
    languages: list[str]
    window: WindowOut | None
    sections: list[SectionOut]
    household_checks: list[CheckOut]
    routing: list[RoutingRuleOut]
    reasons: list[ReasonOut] = Field(description="the reasons its rules may raise and those the engine raises "
                                                 "itself, most urgent first")
    branding: BrandingOut = Field(description="the spec's branding block; without one, the title names the census")
    json_schema: dict[str, Any] = Field(description="the submitted document's JSON Schema (Draft 2020-12)")


# -- the household ------------------------------------------------------------------------------------------
class IssueOut(BaseModel):
    record: str
    question: str | None
    check: str | None
    severity: Literal["error", "warning"]
    code: str
    message: Text = Field(description="naming the member where it is about one")
    fingerprint: str | None = Field(None, description="warnings: send it back to confirm")
    confirmed: bool = False
    about: list[str] = Field(description="the questions it can be put right at")


class StepOut(BaseModel):
    record: str
    page: str
    section: str
    status: str
    blocking: int


class ProgressOut(BaseModel):
    key: str
    status: str
    done: int
    total: int
    name: Text | None = None
    number: int | None = None


class PlanOut(BaseModel):
    done: int
    total: int
    complete: bool
    steps: list[StepOut]
    sections: list[ProgressOut]
    members: list[ProgressOut]


class RouteOut(BaseModel):
    reason: str
    kind: Literal["hand_over", "notify"]
    form: str | None
    explanation: Text
    members: list[str]


class EvaluationOut(BaseModel):
    asked: dict[str, list[str]] = Field(description="per record: the questions asked now, in order")
    errors: list[IssueOut]
    warnings: list[IssueOut]
    plan: PlanOut
    routes: list[RouteOut]
    hand_over_pending: bool = Field(description="answers that hand the household over: confirm with hand-over")
    submittable: bool


class MemberOut(BaseModel):
    id: str
    number: int
    name: str = Field(description="masked for staff outside the interview")


class HouseholdOut(BaseModel):
    id: str
    state: str
    questionnaire: str
    questionnaire_version: str = Field(description="the version of the questionnaire the answers are read under "
                                       "(a household in progress moves to the newest on its next save; a "
                                       "submitted one keeps its own)")
    version: int = Field(description="the answers' version")
    etag: str = Field(description="as in the ETag header: send it as If-Match to change the household")
    reference: str | None = None
    help_requested: bool
    reasons: list[str]
    members: list[MemberOut]
    answers: dict[str, Any] | None = Field(None, description="`household` and each member's answers, as saved")
    evaluation: EvaluationOut | None = None


# -- changes ------------------------------------------------------------------------------------------------
Answers = dict[str, dict[str, Any]]


class AnswersIn(BaseModel):
    """Answers per record (`household`, or a member id): question id -> value; null or "" clears.
    All or nothing: any answer not acceptable and nothing is saved (422 with each)."""

    model_config = Strict
    records: Answers = Field(min_length=1, max_length=50)


class ConfirmationIn(BaseModel):
    model_config = Strict
    record: str = Field(min_length=1, max_length=20)
    check: str = Field(min_length=1, max_length=100)
    fingerprint: str = Field(min_length=1, max_length=100)


class DeclarationIn(BaseModel):
    model_config = Strict
    declarant: str = Field(max_length=100, description="the declarant's name, as a signature")
    promise: bool


class MemberAdded(BaseModel):
    member: str
    household: HouseholdOut


class Submitted(BaseModel):
    reference: str
    household: HouseholdOut


# -- the enumerator -------------------------------------------------------------------------------------------
class QueueQuery(BaseModel):
    """Filters (any of the reasons, any of the states; none: all) and the page."""

    reason: list[ReasonId] = Field([], max_length=20)
    state: list[HouseholdState] = []
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(25, ge=1, le=100)


class QueueItemOut(BaseModel):
    id: str
    code: str
    area: str
    state: str
    reasons: list[str]
    questionnaire: str
    head: str = Field(description="masked")
    address: str = Field(description="masked")
    visit_outcome: str | None
    last_activity: datetime
    priority: int = Field(description="its most urgent reason's priority (10: handed over without a reason); "
                                      "the queue is in this order, then newest activity first")


class QueueOut(BaseModel):
    items: list[QueueItemOut]
    total: int
    counts: dict[str, int]
    reasons: list[ReasonOut] = Field(description="every reason of the census, most urgent first: the texts "
                                                 "of the ids in `items` and `counts`")
    page: int
    per_page: int


class StaffHouseholdOut(BaseModel):
    household: HouseholdOut = Field(description="masked: names and answers are not shown")
    code: str
    area: str
    address: str = Field(description="masked")
    head: str = Field(description="masked")
    visit_outcome: str | None
    interview_ready: bool


class VisitIn(BaseModel):
    model_config = Strict
    outcome: str = Field(min_length=1, max_length=40)


class RegistrationIn(BaseModel):
    model_config = Strict
    area: str = Field(min_length=1, max_length=20)
    address: str = Field(min_length=1, max_length=600)
    household_type: str = Field(min_length=1, max_length=40)


class SlipOut(BaseModel):
    """The credential slip: shown once; the password is not kept anywhere readable."""

    household: str
    account: str
    password: str
    qr_url: str
    address: str
    area: str


Problem.model_rebuild()
