"""The API's shapes for delivery: courses, sessions, places on them (bookings and the roster),
attendance and check-in.

Input schemas list only what a client may set: a session's status, its counters and check-in
code, a booking's status and attendance time come from the services, never from a request body.
Times go out in UTC (ISO 8601 with ``Z``); times coming in must carry an offset.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, model_validator

from cascade.core.api import PageQuery
from cascade.delivery.models import Attendance, Modality, RequiredLevel, Session

MAX_SLOTS = 60  # parts of one session; a long programme is several sessions
MAX_MARKS = 1000  # attendance marks per request
MAX_ID = 2**63 - 1  # ids are 64-bit: a larger number would fail in the database, not 404
# Dates and times a client may send: wide, but far from the ends of the calendar, where adding
# a day or a travel buffer would overflow.
EARLIEST, LATEST = date(1900, 1, 1), date(9000, 12, 31)

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Day = Annotated[date, Field(ge=EARLIEST, le=LATEST)]


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo is not None else value


UTCDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class _Page(Schema):
    count: int
    page: int
    page_size: int


def _refuse_nul(value: Any) -> Any:
    """PostgreSQL cannot store or search for NUL characters; refuse them before they get there."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("Text may not contain NUL characters.")
    if isinstance(value, dict):
        for item in value.values():
            _refuse_nul(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_nul(item)
    return value


class _NoNul(Schema):
    @model_validator(mode="after")
    def _no_nul(self) -> Any:
        # After, not before: ninja hands "before" validators its own wrapper, not the dict.
        _refuse_nul(self.model_dump())
        return self


class _Input(_NoNul):
    model_config = ConfigDict(str_strip_whitespace=True)


# --- Courses --------------------------------------------------------------------------------


class CourseOut(Schema):
    id: int
    title: str
    slug: str
    summary: str = Field(description="Markdown source.")
    objectives: str = Field(description="Markdown source; one objective per line.")
    audience: str
    duration_minutes: int
    required_level: RequiredLevel = Field(description="The level needed to lead the course.")
    self_enrol: bool = Field(description="The default for new sessions of this course.")
    needs_approval: bool
    org_unit_id: int | None
    archived: bool
    facilitator_guide: str | None = Field(
        None,
        description="Markdown; only for the people who plan or deliver the course (null "
        "otherwise, and in lists).",
    )

    @staticmethod
    def resolve_archived(obj: Any) -> bool:
        return obj.archived_at is not None

    @staticmethod
    def resolve_facilitator_guide(obj: Any) -> str | None:
        # Handlers set ``show_guide`` on the course they may show it for; lists never do.
        return obj.facilitator_guide if getattr(obj, "show_guide", False) else None


class CoursePage(_Page):
    items: list[CourseOut]


class CoursesQuery(PageQuery, _NoNul):
    q: str = Field("", max_length=100, description="Words in the title or summary.")
    include_archived: bool = Field(
        False, description="Also archived courses (only those you manage)."
    )


class CourseIn(_Input):
    title: str = Field(min_length=1, max_length=200)
    slug: str = Field(
        "",
        max_length=80,
        pattern=r"^[-a-zA-Z0-9_]*$",
        description="Made from the title when left out.",
    )
    summary: str = Field("", max_length=20_000)
    objectives: str = Field("", max_length=20_000)
    audience: str = Field("", max_length=200)
    duration_minutes: int = Field(180, ge=15, le=100_000)
    facilitator_guide: str = Field("", max_length=100_000)
    required_level: RequiredLevel = RequiredLevel.CERTIFIED
    self_enrol: bool = True
    needs_approval: bool = False
    org_unit_id: Id | None = Field(
        None, description="Required from program managers scoped to org units."
    )


# PATCH: a key left out is not changed (handlers read ``model_dump(exclude_unset=True)``).
NOT_SENT: Any = None


class CourseUpdateIn(_Input):
    title: str = Field(NOT_SENT, min_length=1, max_length=200)
    slug: str = Field(NOT_SENT, min_length=1, max_length=80, pattern=r"^[-a-zA-Z0-9_]+$")
    summary: str = Field(NOT_SENT, max_length=20_000)
    objectives: str = Field(NOT_SENT, max_length=20_000)
    audience: str = Field(NOT_SENT, max_length=200)
    duration_minutes: int = Field(NOT_SENT, ge=15, le=100_000)
    facilitator_guide: str = Field(NOT_SENT, max_length=100_000)
    required_level: RequiredLevel = NOT_SENT
    self_enrol: bool = NOT_SENT
    needs_approval: bool = NOT_SENT
    org_unit_id: Id | None = None


# --- Sessions -------------------------------------------------------------------------------


class SessionState(StrEnum):
    """What people see: ``full`` is an open session with no place left."""

    DRAFT = "draft"
    OPEN = "open"
    FULL = "full"
    CANCELLED = "cancelled"


class SlotOut(Schema):
    starts_at: UTCDatetime
    ends_at: UTCDatetime
    cancelled: bool


class SessionOut(Schema):
    """One row of the session list (the detail adds to it)."""

    id: int
    title: str
    course_id: int | None
    course_title: str | None
    modality: Modality
    venue_name: str | None
    region: str
    language: str
    status: SessionState = Field(description="draft, open, full or cancelled.")
    capacity: int
    enrolled: int
    places_left: int
    waitlisted: int
    starts_at: UTCDatetime | None
    ends_at: UTCDatetime | None
    slots: list[SlotOut] = Field(description="Every part, cancelled ones marked.")
    url: str = Field(description="The session's page.")

    @staticmethod
    def resolve_course_title(obj: Session) -> str | None:
        return obj.course.title if obj.course is not None else None

    @staticmethod
    def resolve_venue_name(obj: Session) -> str | None:
        return obj.venue.name if obj.venue is not None else None

    @staticmethod
    def resolve_status(obj: Session) -> str:
        return obj.state

    @staticmethod
    def resolve_enrolled(obj: Session) -> int:
        return obj.enrolled_count

    @staticmethod
    def resolve_waitlisted(obj: Any) -> int:
        # Handlers set ``waitlisted`` from one grouped query per page.
        return int(getattr(obj, "waitlisted", 0))

    @staticmethod
    def resolve_slots(obj: Session) -> list[Any]:
        return list(obj.slots.all())  # prefetched, in time order

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return str(obj.url)


class SessionPage(_Page):
    items: list[SessionOut]


class StaffOut(Schema):
    person_id: int
    display_name: str
    role: str
    status: str

    @staticmethod
    def resolve_display_name(obj: Any) -> str:
        return str(obj.person.display_name)


class MyBookingOut(Schema):
    id: int
    status: str
    waitlist_position: int | None


class SessionDetailOut(SessionOut):
    description: str = Field(description="Markdown source.")
    room: str
    join_url: str | None = Field(
        description="Only for the people on the session, its trainers and its managers."
    )
    cohort_id: int | None
    self_enrol: bool
    needs_approval: bool
    cancel_cutoff_hours: int
    cancelled_at: UTCDatetime | None
    cancel_reason: str
    staff: list[StaffOut]
    my_booking: MyBookingOut | None = Field(description="Your own place on it, if any.")
    can_manage: bool = Field(description="Whether you may change, open or cancel it.")

    @staticmethod
    def resolve_join_url(obj: Any) -> str | None:
        return obj.join_url if getattr(obj, "show_join_url", False) else None

    @staticmethod
    def resolve_staff(obj: Session) -> list[Any]:
        return list(obj.staff.all())  # prefetched with the people

    @staticmethod
    def resolve_my_booking(obj: Any) -> Any:
        return getattr(obj, "my_booking", None)

    @staticmethod
    def resolve_can_manage(obj: Any) -> bool:
        return bool(getattr(obj, "can_manage", False))


class SessionsQuery(PageQuery, _NoNul):
    """The finder's filters; by default only sessions that have not ended."""

    q: str = Field("", max_length=100, description="Words in the session or course title.")
    course: Id | None = Field(None, description="A course id.")
    modality: Modality | None = None
    region: str = Field("", max_length=100)
    language: str = Field("", max_length=10)
    status: SessionState | None = None
    starts_from: Day | None = Field(
        None, alias="from", description="Starting on or after this day (UTC)."
    )
    starts_until: Day | None = Field(
        None, alias="until", description="Starting on or before this day (UTC)."
    )
    include_past: bool = Field(False, description="Also sessions that have ended.")

    model_config = ConfigDict(populate_by_name=True)


class SlotIn(Schema):
    starts_at: datetime = Field(description="With an offset, e.g. 2026-03-02T09:00:00+01:00.")
    ends_at: datetime

    @model_validator(mode="after")
    def _in_range(self) -> SlotIn:
        if not all(EARLIEST <= t.date() <= LATEST for t in (self.starts_at, self.ends_at)):
            raise ValueError(f"Times must fall between {EARLIEST} and {LATEST}.")
        return self


class SessionCreateIn(_Input):
    """A draft session of a course; open it with ``POST /sessions/{id}/open``."""

    course_id: Id
    title: str = Field("", max_length=200, description="The course title when left out.")
    capacity: int = Field(ge=1, le=100_000)
    slots: list[SlotIn] = Field(min_length=1, max_length=MAX_SLOTS)
    modality: Modality = Modality.IN_PERSON
    venue_id: Id | None = Field(None, description="Needed in person and hybrid.")
    room: str = Field("", max_length=100)
    join_url: str = Field("", max_length=200, description="Needed online before opening.")
    description: str = Field("", max_length=20_000)
    language: str = Field("en", max_length=10)
    region: str = Field("", max_length=100, description="The venue's region when left out.")
    leads_needed: int = Field(1, ge=0, le=20)
    co_facilitators_needed: int = Field(0, ge=0, le=20)
    self_enrol: bool | None = Field(None, description="The course's default when left out.")
    needs_approval: bool | None = Field(None, description="The course's default when left out.")
    cancel_cutoff_hours: int = Field(48, ge=0, le=24 * 365)
    reminder_lead_hours: int = Field(24, ge=0, le=24 * 60)


class CancelIn(_Input):
    reason: str = Field(min_length=1, max_length=2000, description="Sent to everyone on it.")


# --- Places ---------------------------------------------------------------------------------


class SessionEnrolIn(Schema):
    """Leave the body out (or ``person_id`` null) to enrol yourself."""

    person_id: Id | None = Field(
        None,
        description="Someone else: a program manager of the session enrols anyone; a line "
        "manager nominates a direct report.",
    )


class BookingOut(Schema):
    id: int
    session_id: int
    person_id: int
    status: str = Field(description="pending, enrolled, waitlisted, cancelled or declined.")
    waitlist_position: int | None = Field(description="1 for the first person waiting.")
    late_cancel: bool
    attendance: Attendance
    checked_in_at: UTCDatetime | None

    @staticmethod
    def resolve_waitlist_position(obj: Any) -> int | None:
        position: int | None = getattr(obj, "waitlist_position", None)
        return position


class BookingPersonOut(Schema):
    id: int
    display_name: str
    email: str


class RosterEntryOut(Schema):
    booking_id: int
    person: BookingPersonOut
    status: str
    waitlist_position: int | None
    nominated_by_id: int | None
    attendance: Attendance
    checked_in_at: UTCDatetime | None

    @staticmethod
    def resolve_booking_id(obj: Any) -> int:
        return int(obj.pk)

    @staticmethod
    def resolve_waitlist_position(obj: Any) -> int | None:
        position: int | None = getattr(obj, "waitlist_position", None)
        return position


class RosterOut(Schema):
    session_id: int
    capacity: int
    enrolled: list[RosterEntryOut] = Field(description="By name.")
    waitlist: list[RosterEntryOut] = Field(description="In queue order.")
    pending: list[RosterEntryOut] = Field(description="Nominations waiting for approval.")


# --- Attendance -----------------------------------------------------------------------------


class MarkIn(Schema):
    booking_id: Id
    attendance: Attendance = Field(description="present, late, absent, excused, or '' to clear.")


class MarksIn(Schema):
    marks: list[MarkIn] = Field(max_length=MAX_MARKS)

    @model_validator(mode="after")
    def _one_mark_each(self) -> MarksIn:
        ids = [m.booking_id for m in self.marks]
        if len(ids) != len(set(ids)):
            raise ValueError("Each booking may be marked once per request.")
        return self


class AttendanceOut(Schema):
    session_id: int
    changed: int = Field(0, description="How many marks this request changed (PUT only).")
    items: list[RosterEntryOut] = Field(description="Everyone enrolled, by name.")


class CheckInIn(_Input):
    code: str = Field(min_length=1, max_length=12, description="The code shown in the room.")
