"""Reads of discussions: who belongs to a thread's place (the only people a post may mention or
notify), the threads of a place, a thread with its posts arranged for its page, and mention
suggestions. Each does a fixed number of queries whatever the number of threads or posts.

Membership mirrors :mod:`cascade.delivery.rules` (``can_see_course_discussion`` and its
siblings) as one query; the tests check, person by person, that the two agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from django.db.models import Q, QuerySet

from cascade.delivery import rules
from cascade.delivery.models import Booking, Course, Post, Session, SessionStaff, Thread
from cascade.learning.models import Audience, Cohort, Enrolment
from cascade.people.models import OrgUnit, Person, Role, RoleAssignment

Place = Course | Session | Cohort
PlaceKind = Literal["course", "cohort", "session"]
PLACE_KINDS: tuple[PlaceKind, ...] = ("course", "cohort", "session")

SUGGESTIONS_MAX = 8
_STAFFING = (SessionStaff.Status.ASSIGNED, SessionStaff.Status.ACCEPTED)
_THREAD_PLACE = (
    "course__org_unit",
    "session__org_unit",
    "session__cohort__program__org_unit",
    "cohort__program__org_unit",
)


# --- Places ----------------------------------------------------------------------------------


def place_kind(place: Place) -> PlaceKind:
    if isinstance(place, Course):
        return "course"
    if isinstance(place, Session):
        return "session"
    return "cohort"


def place_filter(place: Place) -> dict[str, Place]:
    """``{"course": course}`` and so on: the thread field that points at ``place``."""
    kind: str = place_kind(place)
    return {kind: place}


def thread_place(thread: Thread) -> Place:
    if thread.course_id is not None:
        return thread.course  # type: ignore[return-value]
    if thread.session_id is not None:
        return thread.session  # type: ignore[return-value]
    return thread.cohort  # type: ignore[return-value]


def stand_in_thread(place: Place) -> Thread:
    """An unsaved thread of ``place``: lets the thread rules answer for the place as a whole
    (who may see its discussion, who moderates it) without a second copy of them."""
    return Thread(**place_filter(place))


def can_see_place(viewer: Person, place: Place) -> bool:
    return rules.can_see_thread(viewer, stand_in_thread(place))


def can_moderate_place(viewer: Person, place: Place) -> bool:
    return rules.can_moderate_thread(viewer, stand_in_thread(place))


def discussion_place(viewer: Person, kind: str, pk: int) -> Place | None:
    """The course, cohort or session whose discussion ``viewer`` asks for; None when it does not
    exist or they may not see its discussion (the caller answers 404 either way)."""
    place: Place | None
    if kind == "course":
        place = Course.objects.select_related("org_unit").filter(pk=pk).first()
    elif kind == "session":
        place = (
            Session.objects.select_related("org_unit", "course", "cohort__program__org_unit")
            .filter(pk=pk)
            .first()
        )
    elif kind == "cohort":
        place = Cohort.objects.select_related("program__org_unit").filter(pk=pk).first()
    else:
        return None
    if place is None or not can_see_place(viewer, place):
        return None
    return place


def thread_get(pk: int) -> Thread | None:
    return (
        Thread.objects.select_related("author", "answer__author", "session__course", *_THREAD_PLACE)
        .filter(pk=pk)
        .first()
    )


def thread_visible(viewer: Person, pk: int) -> tuple[Thread, bool] | None:
    """The thread and whether ``viewer`` moderates it; None when they may not see it (a hidden
    thread is seen by its moderators only)."""
    thread = thread_get(pk)
    if thread is None or not rules.can_see_thread(viewer, thread):
        return None
    moderates = rules.can_moderate_thread(viewer, thread)
    if thread.hidden and not moderates:
        return None
    return thread, moderates


# --- Members ---------------------------------------------------------------------------------


def _path_prefixes(path: str) -> list[str]:
    """``/1/5/9/`` → ``["/1/", "/1/5/", "/1/5/9/"]``: the units whose subtree holds this one."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _program_managers_of(unit: OrgUnit | None) -> Q:
    """People whose program-manager scope covers ``unit`` (organisation-wide ones always)."""
    scope = Q(org_unit__isnull=True)
    if unit is not None:
        scope |= Q(org_unit__path__in=_path_prefixes(unit.path))
    managers = RoleAssignment.objects.filter(scope, role=Role.PROGRAM_MANAGER)
    return Q(is_superuser=True) | Q(pk__in=managers.values("person_id"))


def _cohort_runners(cohort: Cohort) -> Q:
    """``learning.rules.can_run_cohort`` as a filter: program managers in scope, the cohort's
    master trainers, and the trainer who built a learner program."""
    program = cohort.program
    q = _program_managers_of(program.org_unit) | Q(
        pk__in=Cohort.master_trainers.through.objects.filter(cohort=cohort).values("person_id")
    )
    if program.audience == Audience.LEARNERS and program.created_by_id is not None:
        builders = RoleAssignment.objects.filter(
            person_id=program.created_by_id, role__in=(Role.TRAINER, Role.MASTER_TRAINER)
        )
        q |= Q(pk__in=builders.values("person_id"))
    return q


def _course_members(course: Course) -> Q:
    booked = Booking.objects.filter(
        session__course=course, status__in=(Booking.Status.ENROLLED, Booking.Status.WAITLISTED)
    )
    staff = SessionStaff.objects.filter(session__course=course, status__in=_STAFFING)
    return (
        _program_managers_of(course.org_unit)
        | Q(pk__in=booked.values("person_id"))
        | Q(pk__in=staff.values("person_id"))
    )


def _session_members(session: Session) -> Q:
    booked = Booking.objects.filter(session=session, status=Booking.Status.ENROLLED)
    staff = SessionStaff.objects.filter(session=session, status__in=_STAFFING)
    q = (
        _program_managers_of(session.org_unit)
        | Q(pk__in=booked.values("person_id"))
        | Q(pk__in=staff.values("person_id"))
    )
    if session.cohort_id is not None:
        q |= _cohort_runners(session.cohort)  # type: ignore[arg-type]
    return q


def _cohort_members(cohort: Cohort) -> Q:
    enrolled = Enrolment.objects.filter(cohort=cohort).exclude(status=Enrolment.Status.WITHDRAWN)
    return _cohort_runners(cohort) | Q(pk__in=enrolled.values("person_id"))


def place_members(place: Place) -> QuerySet[Person]:
    """Everyone who may read the discussions of ``place``, as one query."""
    kind = place_kind(place)
    if kind == "course":
        q = _course_members(place)  # type: ignore[arg-type]
    elif kind == "session":
        q = _session_members(place)  # type: ignore[arg-type]
    else:
        q = _cohort_members(place)  # type: ignore[arg-type]
    return Person.objects.filter(q, is_active=True)


def thread_members(thread: Thread) -> QuerySet[Person]:
    """The people who can see ``thread``: the only ones a post in it may mention or notify."""
    return place_members(thread_place(thread))


def mention_suggestions(place: Place, prefix: str) -> list[tuple[str, Person]]:
    """Up to eight members whose email or name starts like ``prefix``, each with the handle
    to type (the email's local part, or the whole email when two members share it)."""
    prefix = prefix.strip().lstrip("@")
    if not prefix:
        return []
    members = place_members(place)
    found = list(
        members.filter(
            Q(email__istartswith=prefix)
            | Q(display_name__istartswith=prefix)
            | Q(display_name__icontains=f" {prefix}")
        ).order_by("display_name", "pk")[:SUGGESTIONS_MAX]
    )
    if not found:
        return []
    holders = members.filter(local_parts_q({local_part(p.email) for p in found}))
    counts = Counter(local_part(email) for email in holders.values_list("email", flat=True))
    return [
        (local_part(p.email) if counts[local_part(p.email)] == 1 else p.email.lower(), p)
        for p in found
    ]


def local_part(email: str) -> str:
    return email.rsplit("@", 1)[0].lower()


def local_parts_q(local_parts: set[str]) -> Q:
    """People whose email has one of these local parts (any domain)."""
    q = Q(pk__in=[])
    for local in local_parts:
        q |= Q(email__istartswith=f"{local}@")
    return q


# --- Threads and posts -----------------------------------------------------------------------


def place_threads(place: Place, *, include_hidden: bool) -> QuerySet[Thread]:
    """The threads of a place, most recently active first, with what a list row shows."""
    qs = Thread.objects.filter(**place_filter(place)).select_related("author")
    if not include_hidden:
        qs = qs.filter(hidden=False)
    return qs


@dataclass
class PostNode:
    """A post on the thread page with the replies under it (one level deep)."""

    post: Post
    replies: list[PostNode] = field(default_factory=list)


def thread_posts(thread: Thread) -> list[PostNode]:
    """The thread's posts in order, replies under the post they answer, in one query."""
    posts = list(Post.objects.filter(thread=thread).select_related("author", "hidden_by"))
    nodes = {p.pk: PostNode(p) for p in posts}
    top: list[PostNode] = []
    for p in posts:
        parent = nodes.get(p.parent_id) if p.parent_id is not None else None
        if parent is None:
            top.append(nodes[p.pk])
        else:
            parent.replies.append(nodes[p.pk])
    return top


def is_following(thread: Thread, person: Person) -> bool:
    return thread.subscriptions.filter(person=person).exists()
