"""The API's shapes for the learning area: programs, versions, cohorts, enrolments, progress and
quiz attempts.

Nothing here can carry a quiz's answers to a candidate: attempt schemas list the public fields
of a served question (tokens and texts) and results only exist once an attempt is submitted.
Question-bank answers appear only in ``QuestionOut``, which is served to the program's managers.
Input schemas list only what a client may set; scores, statuses and people come from the server.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Schema
from pydantic import ConfigDict, model_validator

from cascade.core.api import PageQuery
from cascade.learning.models import Audience, Enrolment, Program
from cascade.learning.selectors import GridRow

MAX_ENROL = 500  # people per request; more go in several requests or a CSV upload


class _Page(Schema):
    count: int
    page: int
    page_size: int


# --- Programs and versions ------------------------------------------------------------------


class ProgramOut(Schema):
    id: int
    title: str
    slug: str
    summary: str
    audience: Audience
    published_version: int | None = Field(
        description="The number of the newest published version: what new cohorts run."
    )
    draft_version: int | None = Field(
        description="The number of the draft being edited; only shown to those who manage "
        "the program."
    )

    @staticmethod
    def resolve_published_version(obj: Program) -> int | None:
        number: int | None = getattr(obj, "published_number", None)
        return number

    @staticmethod
    def resolve_draft_version(obj: Program) -> int | None:
        if not getattr(obj, "manageable", False):
            return None
        number: int | None = getattr(obj, "draft_number", None)
        return number


class ProgramPage(_Page):
    items: list[ProgramOut]


class ModuleOut(Schema):
    id: int
    title: str
    position: int


class StepOut(Schema):
    id: int
    key: UUID = Field(description="Stable across versions: a copied step keeps its key.")
    module_id: int | None
    position: int
    kind: str
    title: str
    body: str = Field(description="Markdown source.")
    required: bool
    due_offset_days: int | None
    prerequisites: list[int] = Field(description="Ids of the steps to complete first.")
    config: dict[str, Any] = Field(
        description="The step's settings for its kind (for quizzes: pass mark, attempts, time "
        "limit, shuffling, draw count, policy)."
    )
    question_count: int | None = Field(
        description="Quizzes: how many bank questions the quiz draws from; null for other kinds."
    )


class VersionOut(Schema):
    id: int
    program_id: int
    number: int
    status: str
    notes: str
    published_at: datetime | None
    modules: list[ModuleOut]
    steps: list[StepOut] = Field(description="In path order; each names its module.")


class QuestionOut(Schema):
    """A bank question with its answer data, for the people who author it."""

    id: int
    key: UUID
    kind: str
    prompt: str
    data: dict[str, Any]
    explanation: str
    topic: str
    bloom_level: str
    archived: bool


class QuestionPage(_Page):
    items: list[QuestionOut]


class QuestionsQuery(PageQuery):
    include_archived: bool = False


# --- Cohorts and enrolments -----------------------------------------------------------------


class PersonRef(Schema):
    id: int
    display_name: str
    email: str


class CohortOut(Schema):
    id: int
    name: str
    program_id: int
    program_title: str
    version_number: int
    start_date: date
    status: str
    master_trainers: list[PersonRef]
    enrolled: int = Field(description="People enrolled and not withdrawn.")

    @staticmethod
    def resolve_program_title(obj: Any) -> str:
        return str(obj.program.title)

    @staticmethod
    def resolve_version_number(obj: Any) -> int:
        return int(obj.version.number)

    @staticmethod
    def resolve_master_trainers(obj: Any) -> list[Any]:
        # ``.all()`` uses the selector's prefetch, ordered there.
        return list(obj.master_trainers.all())


class CohortPage(_Page):
    items: list[CohortOut]


class CohortMemberOut(Schema):
    """One row of a cohort's dashboard."""

    id: int = Field(description="The enrolment's id.")
    person: PersonRef
    status: str
    mentor_id: int | None
    percent: int = Field(description="Share of required steps completed.")
    overdue_count: int
    next_step_id: int | None

    @staticmethod
    def resolve_id(obj: GridRow) -> int:
        return obj.enrolment.pk

    @staticmethod
    def resolve_person(obj: GridRow) -> Any:
        return obj.enrolment.person

    @staticmethod
    def resolve_status(obj: GridRow) -> str:
        return str(obj.enrolment.status)

    @staticmethod
    def resolve_mentor_id(obj: GridRow) -> int | None:
        return obj.enrolment.mentor_id

    @staticmethod
    def resolve_percent(obj: GridRow) -> int:
        return obj.path.percent

    @staticmethod
    def resolve_overdue_count(obj: GridRow) -> int:
        return obj.path.overdue_count

    @staticmethod
    def resolve_next_step_id(obj: GridRow) -> int | None:
        return obj.path.next_step.step.id if obj.path.next_step else None


class CohortMemberPage(_Page):
    items: list[CohortMemberOut]


_Email = Annotated[str, Field(min_length=3, max_length=254)]


class EnrolIn(Schema):
    """People to enrol, by email or by id (or both); all must be active people, or nobody is
    enrolled. People already enrolled are left as they are."""

    model_config = ConfigDict(str_strip_whitespace=True)

    emails: list[_Email] = Field(default_factory=list, max_length=MAX_ENROL)
    person_ids: list[int] = Field(default_factory=list, max_length=MAX_ENROL)

    @model_validator(mode="after")
    def _someone(self) -> EnrolIn:
        if not self.emails and not self.person_ids:
            raise ValueError("Give emails or person_ids.")
        return self


class EnrolOut(Schema):
    enrolled: list[int] = Field(description="Ids of the people enrolled by this request.")
    already: list[int] = Field(description="Ids of the people who were enrolled before.")


class EnrolmentOut(Schema):
    id: int
    cohort_id: int
    cohort_name: str
    program_id: int
    program_title: str
    version_number: int = Field(description="The version this person works through.")
    start_date: date
    status: str
    mentor_id: int | None
    enrolled_at: datetime
    completed_at: datetime | None

    @staticmethod
    def resolve_cohort_name(obj: Enrolment) -> str:
        return obj.cohort.name

    @staticmethod
    def resolve_program_id(obj: Enrolment) -> int:
        return obj.cohort.program_id

    @staticmethod
    def resolve_program_title(obj: Enrolment) -> str:
        return obj.cohort.program.title

    @staticmethod
    def resolve_version_number(obj: Enrolment) -> int:
        return obj.version.number

    @staticmethod
    def resolve_start_date(obj: Enrolment) -> date:
        return obj.cohort.start_date


class EnrolmentPage(_Page):
    items: list[EnrolmentOut]


class StepProgressOut(Schema):
    step_id: int
    title: str
    kind: str
    required: bool
    status: str = Field(description="not_started, in_progress, submitted, completed or failed.")
    unlocked: bool
    waiting_on: list[int] = Field(description="Prerequisite steps not completed yet.")
    due: date | None
    overdue: bool
    score: float | None = Field(description="Quizzes: the percent that counts.")


class ProgressOut(Schema):
    enrolment_id: int
    person: PersonRef
    status: str
    percent: int
    required_total: int
    required_done: int
    overdue_count: int
    next_step_id: int | None
    steps: list[StepProgressOut]


# --- Quiz attempts --------------------------------------------------------------------------


class TokenText(Schema):
    token: str
    text: str


class AttemptQuestionOut(Schema):
    """A question as served: answer with the tokens, never with texts or positions.

    ``single``/``true_false``: one option token; ``multiple``: a list of option tokens;
    ``short``: text; ``ordering``: the item tokens in order; ``matching``: an object mapping
    each left token to a right token.
    """

    qid: int
    kind: str
    prompt: str
    options: list[TokenText] | None = None
    items: list[TokenText] | None = None
    lefts: list[TokenText] | None = None
    rights: list[TokenText] | None = None


class QuestionResultOut(Schema):
    qid: int
    points: float
    correct: bool
    feedback: list[str]
    explanation: str
    correct_answer: str | None = None  # None until revealed (see answers_revealed)


class AttemptOut(Schema):
    id: int
    enrolment_id: int
    step_id: int
    number: int
    started_at: datetime
    deadline: datetime | None
    submitted_at: datetime | None
    questions: list[AttemptQuestionOut]
    responses: dict[str, Any] = Field(description="Answers saved or submitted, by qid.")
    score: float | None = Field(description="Percent; null until submitted.")
    passed: bool | None
    results: list[QuestionResultOut] | None = Field(
        description="Per question, with feedback and the right answer; null until submitted."
    )


_Answer = (
    Annotated[str, Field(max_length=2000)]
    | list[Annotated[str, Field(max_length=64)]]
    | dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=64)]]
)
Responses = Annotated[dict[Annotated[str, Field(max_length=20)], _Answer], Field(max_length=500)]


class ResponsesIn(Schema):
    responses: Responses = Field(description="Answers by qid (see AttemptQuestionOut).")
