"""The private calendar feed: what it shows, how changes reach it, who can read it, and the
pages that give and reset its address."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from cascade.core.models import AuditEntry
from cascade.delivery.calendar import slot_uid
from cascade.delivery.models import CalendarFeed, Session, StaffRole, TimeSlot
from cascade.delivery.services import enrolment
from cascade.delivery.services import sessions as session_services
from cascade.delivery.services.feeds import calendar_feed_for, calendar_feed_reset
from cascade.delivery.services.notify import when_for
from cascade.delivery.services.sessions import SessionDetails
from cascade.delivery.tests.factories import make_session, make_venue
from cascade.people.models import Role

pytestmark = pytest.mark.django_db(transaction=False)

SITE = "https://cascade.example.org"
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _site_and_clock(settings: Any) -> Iterator[None]:
    settings.SITE_URL = SITE
    with time_machine.travel(NOW, tick=False):
        yield


def at(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def feed_response(client: Any, person: Any) -> Any:
    feed = calendar_feed_for(person=person)
    return client.get(reverse("delivery:calendar_feed", args=[feed.token]))


def events(client: Any, person: Any) -> dict[str, Any]:
    """The person's feed, fetched over HTTP and parsed, by UID."""
    response = feed_response(client, person)
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def status_by_uid(client: Any, person: Any) -> dict[str, str]:
    return {uid: str(e["status"]) for uid, e in events(client, person).items()}


def uid(session: Session, slot: TimeSlot) -> str:
    return slot_uid(session.key, slot.pk)


def details_of(session: Session, **changes: Any) -> SessionDetails:
    """What the planner's form would send back for ``session``, with ``changes``."""
    live = [(s.starts_at, s.ends_at) for s in session.slots.all() if not s.cancelled]
    fields: dict[str, Any] = {
        name: getattr(session, name)
        for name in (
            "title",
            "capacity",
            "modality",
            "venue",
            "room",
            "join_url",
            "description",
            "language",
            "region",
            "leads_needed",
            "co_facilitators_needed",
            "self_enrol",
            "needs_approval",
            "cancel_cutoff_hours",
            "reminder_lead_hours",
        )
    }
    fields["slots"] = live
    fields.update(changes)
    return SessionDetails(**fields)


# --- What the feed says ----------------------------------------------------------------------


def test_feed_round_trips_every_field(client, make_person, program_manager):
    venue = make_venue(name="Riverside Centre", address="1 Hospital Road\nLeeds")
    session = make_session(
        program_manager,
        title="Safe patient handling",
        description="Bring comfortable shoes.",
        venue=venue,
        room="Room 4",
        slots=[(at(10, 9), at(10, 12)), (at(11, 13), at(11, 16))],
    )
    learner = make_person(Role.LEARNER)
    enrolment.session_enrol(session=session, person=learner, actor=learner)
    first, second = session.slots.order_by("starts_at")

    response = feed_response(client, learner)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["prodid"]) == "-//Cascade//Train the trainer//EN"
    assert str(calendar["x-wr-calname"]) == "Cascade training sessions"
    assert "method" not in calendar
    parsed = [
        {
            "uid": str(e["uid"]),
            "sequence": int(e["sequence"]),
            "dtstart": e["dtstart"].to_ical(),
            "dtend": e["dtend"].to_ical(),
            "summary": str(e["summary"]),
            "description": str(e["description"]),
            "location": str(e["location"]),
            "url": str(e["url"]),
            "status": str(e["status"]),
        }
        for e in calendar.walk("VEVENT")
    ]
    common = {
        "sequence": 0,
        "summary": "Safe patient handling",
        "description": "Bring comfortable shoes.",
        "location": "Riverside Centre · Room 4 · 1 Hospital Road, Leeds",
        "url": f"{SITE}/sessions/{session.pk}/",
        "status": "CONFIRMED",
    }
    assert parsed == [
        {
            "uid": f"session-{session.key}-{first.pk}@cascade.example.org",
            "dtstart": b"20260310T090000Z",
            "dtend": b"20260310T120000Z",
            **common,
        },
        {
            "uid": f"session-{session.key}-{second.pk}@cascade.example.org",
            "dtstart": b"20260311T130000Z",
            "dtend": b"20260311T160000Z",
            **common,
        },
    ]
    assert events(client, learner)[uid(session, first)]["dtstart"].dt == at(10, 9)


def test_moving_a_session_bumps_sequence_and_cancels_the_old_part(
    client, make_person, program_manager
):
    session = make_session(program_manager, slots=[(at(10, 9), at(10, 12))])
    learner = make_person(Role.LEARNER)
    enrolment.session_enrol(session=session, person=learner, actor=learner)
    old_slot = session.slots.get()

    session_services.session_update(
        session=session,
        details=details_of(session, slots=[(at(12, 13), at(12, 16))]),
        actor=program_manager,
    )

    new_slot = session.slots.get(cancelled=False)
    feed = events(client, learner)
    assert {
        u: (str(e["status"]), int(e["sequence"]), e["dtstart"].to_ical()) for u, e in feed.items()
    } == {
        uid(session, old_slot): ("CANCELLED", 1, b"20260310T090000Z"),
        uid(session, new_slot): ("CONFIRMED", 1, b"20260312T130000Z"),
    }


def test_cancelling_the_session_cancels_every_part(client, make_person, program_manager):
    session = make_session(
        program_manager, slots=[(at(10, 9), at(10, 12)), (at(11, 9), at(11, 12))]
    )
    learner = make_person(Role.LEARNER)
    enrolment.session_enrol(session=session, person=learner, actor=learner)

    session_services.session_cancel(session=session, actor=program_manager, reason="Trainer ill")

    feed = events(client, learner)
    assert {u: (str(e["status"]), int(e["sequence"])) for u, e in feed.items()} == {
        uid(session, s): ("CANCELLED", 1) for s in session.slots.all()
    }


def test_waitlisted_place_is_tentative(client, make_person, program_manager):
    session = make_session(program_manager, capacity=1)
    first, second = make_person(Role.LEARNER), make_person(Role.LEARNER)
    enrolment.session_enrol(session=session, person=first, actor=first)
    enrolment.session_enrol(session=session, person=second, actor=second)
    slot = session.slots.get()

    assert status_by_uid(client, second) == {uid(session, slot): "TENTATIVE"}
    assert status_by_uid(client, first) == {uid(session, slot): "CONFIRMED"}


def test_a_place_given_up_is_cancelled_and_a_queue_place_given_up_disappears(
    client, make_person, program_manager
):
    session = make_session(program_manager, capacity=1)
    held, queued = make_person(Role.LEARNER), make_person(Role.LEARNER)
    held_booking = enrolment.session_enrol(session=session, person=held, actor=held)
    queued_booking = enrolment.session_enrol(session=session, person=queued, actor=queued)
    enrolment.booking_cancel(booking=queued_booking, actor=queued)
    enrolment.booking_cancel(booking=held_booking, actor=held)
    slot = session.slots.get()

    assert status_by_uid(client, held) == {uid(session, slot): "CANCELLED"}
    assert status_by_uid(client, queued) == {}


def test_a_trainer_sees_the_sessions_they_teach(client, make_person, program_manager):
    session = make_session(program_manager)
    trainer = make_person(Role.TRAINER)
    session_services.staff_assign(
        session=session, person=trainer, role=StaffRole.LEAD, actor=program_manager
    )
    slot = session.slots.get()

    assert status_by_uid(client, trainer) == {uid(session, slot): "CONFIRMED"}


def test_drafts_are_not_in_the_feed(client, make_person, program_manager):
    draft = make_session(program_manager, publish=False)
    trainer = make_person(Role.TRAINER)
    session_services.staff_assign(
        session=draft, person=trainer, role=StaffRole.LEAD, actor=program_manager
    )

    assert status_by_uid(client, trainer) == {}


def test_another_persons_sessions_are_not_in_your_feed(client, make_person, program_manager):
    mine = make_session(program_manager, starts_at=at(10, 9))
    theirs = make_session(program_manager, starts_at=at(10, 9))
    me, other = make_person(Role.LEARNER), make_person(Role.LEARNER)
    enrolment.session_enrol(session=mine, person=me, actor=me)
    enrolment.session_enrol(session=theirs, person=other, actor=other)

    assert status_by_uid(client, me) == {uid(mine, mine.slots.get()): "CONFIRMED"}
    assert status_by_uid(client, other) == {uid(theirs, theirs.slots.get()): "CONFIRMED"}


def test_past_sessions_stay_for_sixty_days(client, make_person, program_manager):
    session = make_session(program_manager, slots=[(at(10, 9), at(10, 12))])
    learner = make_person(Role.LEARNER)
    enrolment.session_enrol(session=session, person=learner, actor=learner)
    key = uid(session, session.slots.get())

    with time_machine.travel(at(10, 12) + timedelta(days=60), tick=False):
        assert status_by_uid(client, learner) == {key: "CONFIRMED"}
    with time_machine.travel(at(10, 12) + timedelta(days=60, seconds=1), tick=False):
        assert status_by_uid(client, learner) == {}


def test_feed_times_are_utc_across_the_clock_change(client, make_person, program_manager):
    london = ZoneInfo("Europe/London")
    viewer = make_person(Role.LEARNER, time_zone="Europe/London")
    with time_machine.travel(datetime(2026, 3, 20, 12, 0, tzinfo=UTC), tick=False):
        session = make_session(
            program_manager,
            slots=[
                (datetime(2026, 3, 27, 9, tzinfo=london), datetime(2026, 3, 27, 12, tzinfo=london)),
                (datetime(2026, 3, 30, 9, tzinfo=london), datetime(2026, 3, 30, 12, tzinfo=london)),
            ],
        )
        enrolment.session_enrol(session=session, person=viewer, actor=viewer)

        stored = list(session.slots.order_by("starts_at").values_list("starts_at", flat=True))
        feed = events(client, viewer)

    assert stored == [at(27, 9), at(30, 8)]
    assert sorted(e["dtstart"].to_ical() for e in feed.values()) == [
        b"20260327T090000Z",
        b"20260330T080000Z",
    ]
    assert [when_for(viewer, s) for s in stored] == [
        "Fri 27 Mar 2026, 09:00 GMT",
        "Mon 30 Mar 2026, 09:00 BST",
    ]


def test_feed_queries_do_not_grow_with_sessions(
    client, make_person, program_manager, django_assert_max_num_queries
):
    # Someone who teaches one session and learns on the others: both kinds in one feed.
    person = make_person(Role.TRAINER)
    first = make_session(program_manager, starts_at=at(10, 9))
    session_services.staff_assign(
        session=first, person=person, role=StaffRole.LEAD, actor=program_manager
    )
    token = calendar_feed_for(person=person).token
    url = reverse("delivery:calendar_feed", args=[token])
    with django_assert_max_num_queries(3):
        assert client.get(url).status_code == 200

    for day in range(11, 17):
        more = make_session(
            program_manager, slots=[(at(day, 9), at(day, 12)), (at(day, 13), at(day, 16))]
        )
        enrolment.session_enrol(session=more, person=person, actor=person)

    with django_assert_max_num_queries(3):
        response = client.get(url)
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 13


# --- Who can read it -------------------------------------------------------------------------


def test_unknown_token_is_404(client):
    response = client.get(reverse("delivery:calendar_feed", args=["not-a-real-token"]))
    assert response.status_code == 404


def test_a_deactivated_persons_feed_is_404(client, make_person):
    person = make_person(Role.LEARNER)
    feed = calendar_feed_for(person=person)
    person.is_active = False
    person.save(update_fields=["is_active"])

    response = client.get(reverse("delivery:calendar_feed", args=[feed.token]))

    assert response.status_code == 404


def test_the_feed_answers_get_only(client, make_person):
    feed = calendar_feed_for(person=make_person(Role.LEARNER))
    response = client.post(reverse("delivery:calendar_feed", args=[feed.token]))
    assert response.status_code == 405


def test_feed_for_is_one_feed_per_person(make_person):
    person = make_person(Role.LEARNER)
    first = calendar_feed_for(person=person)
    again = calendar_feed_for(person=person)
    assert first.pk == again.pk
    assert first.token == again.token
    assert len(first.token) == 43
    assert CalendarFeed.objects.filter(person=person).count() == 1


def test_reset_makes_the_old_address_404(client, make_person):
    person = make_person(Role.LEARNER)
    old = calendar_feed_for(person=person).token

    new = calendar_feed_reset(person=person).token

    assert new != old
    assert client.get(reverse("delivery:calendar_feed", args=[old])).status_code == 404
    assert client.get(reverse("delivery:calendar_feed", args=[new])).status_code == 200
    entry = AuditEntry.objects.get(action="delivery.calendar_feed.reset")
    assert (entry.actor, entry.target_id, entry.changes) == (
        person,
        str(CalendarFeed.objects.get(person=person).pk),
        {},
    )


# --- The page that gives the address ---------------------------------------------------------


def test_my_calendar_needs_sign_in(client):
    response = client.get(reverse("delivery:my_calendar"))
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/me/calendar/"
    assert not CalendarFeed.objects.exists()


def test_my_calendar_shows_the_address(client, learner):
    client.force_login(learner)

    response = client.get(reverse("delivery:my_calendar"))

    token = CalendarFeed.objects.get(person=learner).token
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<p class="secret" id="feed-url">{SITE}/calendar/{token}.ics</p>' in body
    assert "webcal:" not in body  # some clients would fetch a webcal address over plain http
    assert "Subscribe from web" in body
    assert "From URL" in body
    assert "New Calendar Subscription" in body
    assert f'action="{reverse("delivery:calendar_reset")}"' in body
    assert 'style="' not in body
    assert client.get(reverse("delivery:my_calendar")).status_code == 200
    assert CalendarFeed.objects.get(person=learner).token == token


def test_profile_links_to_the_calendar_page(client, learner):
    client.force_login(learner)
    response = client.get(reverse("people:me"))
    assert 'href="/me/calendar/"' in response.content.decode()


def test_reset_needs_post(client, learner):
    client.force_login(learner)
    token = calendar_feed_for(person=learner).token

    response = client.get(reverse("delivery:calendar_reset"))

    assert response.status_code == 405
    assert CalendarFeed.objects.get(person=learner).token == token
    assert not AuditEntry.objects.filter(action="delivery.calendar_feed.reset").exists()


def test_reset_needs_sign_in(client, learner):
    token = calendar_feed_for(person=learner).token

    response = client.post(reverse("delivery:calendar_reset"))

    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/me/calendar/reset/"
    assert CalendarFeed.objects.get(person=learner).token == token


def test_reset_by_post_gives_a_new_address_and_says_so(client, learner):
    client.force_login(learner)
    old = calendar_feed_for(person=learner).token

    response = client.post(reverse("delivery:calendar_reset"), follow=True)

    new = CalendarFeed.objects.get(person=learner).token
    assert new != old
    assert response.redirect_chain == [("/me/calendar/", 302)]
    body = response.content.decode()
    assert "Your calendar address is changed and the old one no longer works." in body
    assert f"{SITE}/calendar/{new}.ics" in body
    assert old not in body
