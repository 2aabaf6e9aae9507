"""Fetch-and-authorise helpers for delivery's views and API: each returns the object or raises
Http404, so nobody learns that something exists that they may not see."""

from __future__ import annotations

from django.http import Http404

from cascade.delivery import rules, selectors
from cascade.delivery.models import Booking, Course, Session, Venue
from cascade.people.models import Person


def session_visible(viewer: Person, pk: int) -> Session:
    session = selectors.session_detail(pk)
    if session is None or not rules.can_view_session(viewer, session):
        raise Http404
    return session


def session_to_manage(viewer: Person, pk: int) -> Session:
    session = selectors.session_detail(pk)
    if session is None or not rules.can_manage_session(viewer, session):
        raise Http404
    return session


def session_roster_access(viewer: Person, pk: int) -> Session:
    session = selectors.session_detail(pk)
    if session is None or not rules.can_see_roster(viewer, session):
        raise Http404
    return session


def booking_to_decide(viewer: Person, pk: int) -> Booking:
    booking = Booking.objects.select_related("session", "person").filter(pk=pk).first()
    if booking is None or not rules.can_manage_session(viewer, booking.session):
        raise Http404
    return booking


def course_visible(viewer: Person, pk: int) -> Course:
    course = Course.objects.select_related("org_unit").filter(pk=pk).first()
    if course is None or (
        course.archived_at is not None and not rules.can_manage_course(viewer, course)
    ):
        raise Http404
    return course


def course_to_manage(viewer: Person, pk: int) -> Course:
    course = Course.objects.select_related("org_unit").filter(pk=pk).first()
    if course is None or not rules.can_manage_course(viewer, course):
        raise Http404
    return course


def venue_to_manage(viewer: Person, pk: int) -> Venue:
    venue = Venue.objects.select_related("org_unit").filter(pk=pk).first()
    if venue is None or not rules.can_manage_venue(viewer, venue):
        raise Http404
    return venue
