"""The API's shapes for observations, certifications and credential verification."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class _Page(Schema):
    count: int
    page: int
    page_size: int


class PersonRef(Schema):
    id: int
    name: str


class CourseRef(Schema):
    id: int
    slug: str
    title: str


class SheetOut(Schema):
    observer: PersonRef
    role: str
    submitted: bool
    levels: dict[str, int] = Field(description="Only sheets the caller may see (the blind rule).")
    evidence: dict[str, str]
    timestamps: dict[str, int] = Field(description="Seconds into the recording, per criterion.")
    comment: str


class ObservationOut(Schema):
    id: int
    candidate: PersonRef
    kind: str
    mode: str
    course: CourseRef | None
    title: str
    attempt: int
    rubric: str = Field(description="slug@version of the rubric scored on.")
    status: str
    observers_assigned: int
    observers_submitted: int
    observers_needed: int
    self_levels: dict[str, int] | None = Field(
        description="The candidate's self-assessment: to the candidate, and to others once decided."
    )
    sheets: list[SheetOut] = Field(
        description="An observer who has not submitted sees only their own sheet; the candidate "
        "sees sheets only once the result is out."
    )
    flagged: list[str]
    result: dict[str, Any] | None = Field(
        description="Once decided: passed, mean, reasons, levels, strengths, next_steps."
    )
    created_at: datetime


class ObservationPage(_Page):
    items: list[ObservationOut]


class CertificationOut(Schema):
    id: int
    uid: str
    person: PersonRef
    course: CourseRef
    level: str
    status: str
    awarded_at: datetime
    expires_at: datetime
    awarded_by: PersonRef | None
    reason: str
    credential_url: str
    verification_url: str


class CertificationPage(_Page):
    items: list[CertificationOut]


class CertificationQuery(Schema):
    status: str | None = Field(None, description="active, suspended, revoked, lapsed, superseded")
    course: int | None = Field(None, ge=1, le=2**31 - 1)
    person: int | None = Field(None, ge=1, le=2**31 - 1)


class VerifyIn(Schema):
    credential: Any = Field(
        description="The credential: the downloaded JSON document, or the compact JWS string."
    )


class CheckOut(Schema):
    name: str
    ok: bool | None
    detail: str


class VerifyOut(Schema):
    valid: bool
    reason: str
    checks: list[CheckOut]
    credential: dict[str, Any] | None
