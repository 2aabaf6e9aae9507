"""The delivery API, part one: courses, and sessions (find, read, plan, open, cancel).

Each endpoint is tried by the people who may use it (exact JSON where it matters) and by those
who may not, who get 403 or 404 and change nothing. Bad input answers a 4xx problem document
with a stable code, never a 500. Places and attendance are in ``test_api_places``;
authentication and error mapping themselves in ``cascade/api/tests``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cascade.core.models import AuditEntry
from cascade.delivery.models import Booking, Course, Modality, Session
from cascade.delivery.services import enrolment as enrol_services
from cascade.delivery.services import sessions as session_services
from cascade.delivery.tests.api_support import (
    API,
    assert_problem,
    auth,
    bookings_state,
    get,
    ids,
    post,
    send,
    trainer_on,
    utc,
)
from cascade.delivery.tests.factories import in_days, make_course, make_session, make_venue
from cascade.people.models import OrgUnit, Person, Role, RoleAssignment
from cascade.people.tests.factories import OrgUnitFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def north(db: None) -> OrgUnit:
    return OrgUnitFactory(name="North", code="north")


@pytest.fixture
def scoped_pm(north: OrgUnit) -> Person:
    pm = PersonFactory(display_name="Nora North", email="nora@example.org", org_unit=north)
    RoleAssignment.objects.create(person=pm, role=Role.PROGRAM_MANAGER, org_unit=north)
    return pm


# --- Courses --------------------------------------------------------------------------------


def test_everyone_sees_the_current_catalogue_and_managers_the_archive(
    client, program_manager, learner
):
    first = make_course(title="B course", facilitator_guide="Secret tips")
    second = make_course(title="A course")
    old = make_course(title="C old", archived_at=in_days(-1))

    assert ids(get(client, learner, "/courses")) == [second.pk, first.pk]
    assert ids(get(client, learner, "/courses", include_archived="true")) == [second.pk, first.pk]
    assert ids(get(client, program_manager, "/courses", include_archived="true")) == [
        second.pk,
        first.pk,
        old.pk,
    ]
    assert ids(get(client, learner, "/courses", q="B cou")) == [first.pk]
    # Lists never carry the facilitator guide.
    items = get(client, program_manager, "/courses").json()["items"]
    assert [i["facilitator_guide"] for i in items] == [None, None]


def test_course_read_shows_the_guide_only_to_planners_and_trainers(
    client, program_manager, learner, make_person
):
    course = make_course(title="Lifting", slug="lifting", facilitator_guide="Warm up first.")
    session = make_session(program_manager, course=course)
    trainer = trainer_on(session, program_manager, make_person)

    as_learner = get(client, learner, f"/courses/{course.pk}")

    assert as_learner.status_code == 200
    assert as_learner.json() == {
        "id": course.pk,
        "title": "Lifting",
        "slug": "lifting",
        "summary": "Moving patients without hurting them or yourself.",
        "objectives": "",
        "audience": "",
        "duration_minutes": 180,
        "required_level": "certified",
        "self_enrol": True,
        "needs_approval": False,
        "org_unit_id": None,
        "archived": False,
        "facilitator_guide": None,
    }
    for who in (program_manager, trainer):
        assert get(client, who, f"/courses/{course.pk}").json()["facilitator_guide"] == (
            "Warm up first."
        )


def test_archived_or_missing_course_is_404_for_learners(client, learner):
    old = make_course(archived_at=in_days(-1))
    assert_problem(get(client, learner, f"/courses/{old.pk}"), 404, "not_found")
    assert_problem(get(client, learner, "/courses/999999"), 404, "not_found")


def test_program_manager_adds_a_course(client, program_manager):
    response = post(
        client,
        program_manager,
        "/courses",
        {"title": "  Moving & handling <b>  ", "duration_minutes": 240, "needs_approval": True},
    )

    assert response.status_code == 201, response.content
    course = Course.objects.get()
    assert response.json() == {
        "id": course.pk,
        "title": "Moving & handling <b>",
        "slug": "moving-handling-b",
        "summary": "",
        "objectives": "",
        "audience": "",
        "duration_minutes": 240,
        "required_level": "certified",
        "self_enrol": True,
        "needs_approval": True,
        "org_unit_id": None,
        "archived": False,
        "facilitator_guide": "",
    }
    assert course.created_by == program_manager
    assert AuditEntry.objects.filter(
        action="delivery.course.created", target_id=str(course.pk)
    ).exists()


def test_learner_may_not_add_a_course(client, learner):
    response = post(client, learner, "/courses", {"title": "Mine"})
    assert_problem(response, 403, "forbidden")
    assert not Course.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "validation_error"),
        ({"title": ""}, 422, "validation_error"),
        ({"title": "X", "duration_minutes": 5}, 422, "validation_error"),
        ({"title": "X", "required_level": "wizard"}, 422, "validation_error"),
        ({"title": "X", "slug": "no spaces"}, 422, "validation_error"),
        ({"title": "X", "slug": "taken"}, 400, "invalid"),
        ({"title": "X", "org_unit_id": 999999}, 400, "unknown_org_unit"),
        ({"title": "X", "org_unit_id": 10**30}, 422, "validation_error"),
        ({"title": "NUL \x00 stops PostgreSQL"}, 422, "validation_error"),
        ([1, 2], 422, "validation_error"),
    ],
)
def test_bad_course_input_is_a_problem(client, program_manager, body, status, code):
    make_course(slug="taken")
    assert_problem(post(client, program_manager, "/courses", body), status, code)
    assert Course.objects.count() == 1


def test_unparseable_body_is_400(client, program_manager):
    response = client.post(
        f"{API}/courses",
        "{not json",
        content_type="application/json",
        headers=auth(program_manager),
    )
    assert_problem(response, 400, "bad_request")


def test_scoped_program_manager_files_courses_under_their_units(client, scoped_pm, north):
    south = OrgUnitFactory(name="South", code="south")

    assert_problem(post(client, scoped_pm, "/courses", {"title": "X"}), 400, "org_unit_required")
    assert_problem(
        post(client, scoped_pm, "/courses", {"title": "X", "org_unit_id": south.pk}),
        403,
        "forbidden",
    )
    assert not Course.objects.exists()
    made = post(client, scoped_pm, "/courses", {"title": "X", "org_unit_id": north.pk})
    assert made.status_code == 201
    assert made.json()["org_unit_id"] == north.pk


def test_program_manager_changes_a_course_and_others_may_not(client, program_manager, learner):
    course = make_course(title="Old title")

    denied = send(client, "patch", learner, f"/courses/{course.pk}", {"title": "Mine"})
    changed = send(client, "patch", program_manager, f"/courses/{course.pk}", {"title": "New"})

    assert_problem(denied, 403, "forbidden")
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["slug"]) == ("New", course.slug)
    course.refresh_from_db()
    assert course.title == "New"
    missing = send(client, "patch", program_manager, "/courses/999999", {"title": "X"})
    assert_problem(missing, 404, "not_found")


# --- Finding and reading sessions -----------------------------------------------------------


def test_session_list_item_is_exact(client, program_manager, learner, make_person):
    course = make_course(title="Lifting")
    venue = make_venue(name="Room A", region="North")
    start = in_days(3)
    session = make_session(
        program_manager,
        course=course,
        venue=venue,
        capacity=2,
        slots=[
            (start, start + timedelta(hours=3)),
            (start + timedelta(days=1), start + timedelta(days=1, hours=2)),
        ],
    )
    a, b, c = (make_person(Role.LEARNER) for _ in range(3))
    for person in (a, b, c):
        enrol_services.session_enrol(session=session, person=person, actor=person)

    response = get(client, learner, "/sessions")

    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "page": 1,
        "page_size": 50,
        "items": [
            {
                "id": session.pk,
                "title": "Lifting",
                "course_id": course.pk,
                "course_title": "Lifting",
                "modality": "in_person",
                "venue_name": "Room A",
                "region": "North",
                "language": "en",
                "status": "full",
                "capacity": 2,
                "enrolled": 2,
                "places_left": 0,
                "waitlisted": 1,
                "starts_at": utc(start),
                "ends_at": utc(start + timedelta(days=1, hours=2)),
                "slots": [
                    {
                        "starts_at": utc(start),
                        "ends_at": utc(start + timedelta(hours=3)),
                        "cancelled": False,
                    },
                    {
                        "starts_at": utc(start + timedelta(days=1)),
                        "ends_at": utc(start + timedelta(days=1, hours=2)),
                        "cancelled": False,
                    },
                ],
                "url": f"http://testserver/sessions/{session.pk}/",
            }
        ],
    }


def test_session_filters(client, program_manager, learner):
    lifting = make_course(title="Lifting")
    first_aid = make_course(title="First aid")
    north = make_session(program_manager, course=lifting, capacity=1, starts_at=in_days(3))
    online = make_session(
        program_manager,
        course=first_aid,
        modality=Modality.VIRTUAL,
        starts_at=in_days(10),
        region="South",
        language="fr",
    )
    draft = make_session(program_manager, course=lifting, starts_at=in_days(5), publish=False)
    gone = make_session(program_manager, course=lifting, starts_at=in_days(6))
    session_services.session_cancel(session=gone, actor=program_manager, reason="Flu")
    enrol_services.session_enrol(session=north, person=learner, actor=learner)

    def found(**params: Any) -> list[int]:
        return ids(get(client, program_manager, "/sessions", **params))

    assert found() == [north.pk, draft.pk, gone.pk, online.pk]
    assert ids(get(client, learner, "/sessions")) == [north.pk, gone.pk, online.pk]
    assert found(status="full") == [north.pk]
    assert found(status="open") == [online.pk]
    assert found(status="draft") == [draft.pk]
    assert found(status="cancelled") == [gone.pk]
    assert found(modality="virtual") == [online.pk]
    assert found(region="south") == [online.pk]
    assert found(language="FR") == [online.pk]
    assert found(q="first") == [online.pk]
    assert found(course=lifting.pk) == [north.pk, draft.pk, gone.pk]
    day = in_days(5).date().isoformat()
    assert found(**{"from": day}) == [draft.pk, gone.pk, online.pk]
    assert found(until=day) == [north.pk, draft.pk]
    assert found(**{"from": day, "until": day}) == [draft.pk]
    assert found(page_size=2, page=2) == [gone.pk, online.pk]


def test_past_sessions_only_on_request(client, program_manager, learner):
    with time_machine.travel(in_days(-10)):
        past = make_session(program_manager, starts_at=in_days(2))
    coming = make_session(program_manager)

    assert ids(get(client, learner, "/sessions")) == [coming.pk]
    assert ids(get(client, learner, "/sessions", include_past="true")) == [past.pk, coming.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "bogus"},
        {"modality": "teleport"},
        {"from": "yesterday"},
        {"until": "2026-13-45"},
        {"course": "abc"},
        {"page": "0"},
        {"page_size": "100000"},
        {"q": "x" * 101},
        {"q": "a\x00"},
        {"course": str(10**30)},
        {"until": "9999-12-31"},
    ],
)
def test_bad_session_filters_are_422(client, learner, params):
    assert_problem(get(client, learner, "/sessions", **params), 422, "validation_error")


def test_session_list_query_count_does_not_grow(
    client, program_manager, make_person, django_assert_max_num_queries
):
    headers = auth(program_manager)
    one = make_session(program_manager)
    enrol_services.session_enrol(session=one, person=make_person(), actor=program_manager)

    client.get(f"{API}/sessions", headers=headers)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"{API}/sessions", headers=headers).status_code == 200
    for n in range(8):
        session = make_session(program_manager, capacity=1, starts_at=in_days(4 + n))
        for _ in range(2):
            person = make_person()
            enrol_services.session_enrol(session=session, person=person, actor=program_manager)

    with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as many:
        response = client.get(f"{API}/sessions", headers=headers)

    assert response.json()["count"] == 9
    assert sum(item["waitlisted"] for item in response.json()["items"]) == 8
    assert len(many.captured_queries) == len(few.captured_queries)


def test_session_read_for_people_who_may_see_it(client, program_manager, learner, make_person):
    session = make_session(
        program_manager,
        modality=Modality.VIRTUAL,
        capacity=1,
        description="Bring **shoes**",
        join_url="https://meet.example.org/secret",
    )
    trainer = trainer_on(session, program_manager, make_person)
    other = make_person(Role.LEARNER)
    enrol_services.session_enrol(session=session, person=learner, actor=learner)
    queued = enrol_services.session_enrol(session=session, person=other, actor=other)

    mine = get(client, learner, f"/sessions/{session.pk}").json()
    theirs = get(client, other, f"/sessions/{session.pk}").json()
    managed = get(client, program_manager, f"/sessions/{session.pk}").json()

    assert mine["join_url"] == "https://meet.example.org/secret"
    assert mine["my_booking"]["status"] == "enrolled"
    assert mine["can_manage"] is False
    assert mine["staff"] == [
        {
            "person_id": trainer.pk,
            "display_name": "Tia Trainer",
            "role": "lead",
            "status": "accepted",
        }
    ]
    assert (mine["status"], mine["waitlisted"], mine["description"]) == (
        "full",
        1,
        "Bring **shoes**",
    )
    assert theirs["join_url"] is None
    assert theirs["my_booking"] == {"id": queued.pk, "status": "waitlisted", "waitlist_position": 1}
    assert (managed["join_url"], managed["can_manage"], managed["my_booking"]) == (
        "https://meet.example.org/secret",
        True,
        None,
    )
    assert get(client, trainer, f"/sessions/{session.pk}").json()["join_url"] == (
        "https://meet.example.org/secret"
    )


def test_outsider_cannot_see_a_draft_or_a_missing_session(client, program_manager, learner):
    draft = make_session(program_manager, publish=False)

    assert_problem(get(client, learner, f"/sessions/{draft.pk}"), 404, "not_found")
    assert_problem(get(client, learner, "/sessions/999999"), 404, "not_found")
    assert get(client, program_manager, f"/sessions/{draft.pk}").json()["status"] == "draft"


def test_signed_in_browser_session_reads_too(client, learner, program_manager):
    session = make_session(program_manager)
    client.force_login(learner)
    response = client.get(f"{API}/sessions/{session.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == session.pk


def test_without_credentials_nothing_is_served(client, program_manager):
    session = make_session(program_manager)
    assert_problem(client.get(f"{API}/sessions"), 401, "not_authenticated")
    assert_problem(client.post(f"{API}/sessions/{session.pk}/enrolments"), 401, "not_authenticated")
    assert not Booking.objects.exists()


# --- Planning sessions ----------------------------------------------------------------------


def _new_session(course: Course, venue: Any, **kw: Any) -> dict[str, Any]:
    start = in_days(7)
    body: dict[str, Any] = {
        "course_id": course.pk,
        "capacity": 12,
        "venue_id": venue.pk if venue is not None else None,
        "slots": [
            {
                "starts_at": (start + timedelta(days=1)).isoformat(),
                "ends_at": (start + timedelta(days=1, hours=3)).isoformat(),
            },
            {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat()},
        ],
    }
    body.update(kw)
    return body


def test_program_manager_plans_a_draft_session(client, program_manager):
    course = make_course(title="Lifting", needs_approval=True)
    venue = make_venue(name="Room B", region="West", capacity=20)
    start = in_days(7)
    offset = "+02:00"
    body = _new_session(course, venue, room="2.14")
    body["slots"][1]["starts_at"] = (start + timedelta(hours=2)).strftime(
        f"%Y-%m-%dT%H:%M:%S{offset}"
    )

    response = post(client, program_manager, "/sessions", body)

    assert response.status_code == 201, response.content
    session = Session.objects.get()
    data = response.json()
    assert data["id"] == session.pk
    assert (data["status"], data["title"], data["venue_name"], data["region"], data["room"]) == (
        "draft",
        "Lifting",
        "Room B",
        "West",
        "2.14",
    )
    assert (data["self_enrol"], data["needs_approval"], data["capacity"]) == (True, True, 12)
    # The +02:00 start is stored and served in UTC, and the parts are in time order.
    assert data["starts_at"] == utc(start)
    assert [s["starts_at"] for s in data["slots"]] == [
        utc(start),
        utc(start + timedelta(days=1)),
    ]
    assert session.created_by == program_manager
    assert session.check_in_code != ""


def test_learner_may_not_plan_sessions(client, learner):
    course = make_course()
    response = post(client, learner, "/sessions", _new_session(course, make_venue()))
    assert_problem(response, 403, "forbidden")
    assert not Session.objects.exists()


def test_scoped_program_manager_plans_only_their_courses(client, scoped_pm, north):
    theirs = make_course(org_unit=north)
    others = make_course(org_unit=OrgUnitFactory(code="south"))
    venue = make_venue(org_unit=north)

    assert_problem(
        post(client, scoped_pm, "/sessions", _new_session(others, venue)), 403, "forbidden"
    )
    outside_venue = make_venue()
    assert_problem(
        post(client, scoped_pm, "/sessions", _new_session(theirs, outside_venue)),
        400,
        "unknown_venue",
    )
    assert not Session.objects.exists()
    assert post(client, scoped_pm, "/sessions", _new_session(theirs, venue)).status_code == 201


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"course_id": 999999}, 400, "unknown_course"),
        ({"course_id": 10**30}, 422, "validation_error"),
        ({"venue_id": 999999}, 400, "unknown_venue"),
        ({"venue_id": None}, 400, "venue_required"),
        ({"capacity": 500}, 400, "over_venue_capacity"),
        ({"capacity": 0}, 422, "validation_error"),
        ({"slots": []}, 422, "validation_error"),
        (
            {"slots": [{"starts_at": "2030-01-01T09:00:00", "ends_at": "2030-01-01T12:00:00"}]},
            400,
            "naive_time",
        ),
        (
            {"slots": [{"starts_at": "2030-01-01T09:00:00Z", "ends_at": "2030-01-01T08:00:00Z"}]},
            400,
            "slot_order",
        ),
        (
            {
                "slots": [
                    {"starts_at": "2030-01-01T09:00:00Z", "ends_at": "2030-01-01T12:00:00Z"},
                    {"starts_at": "2030-01-01T11:00:00Z", "ends_at": "2030-01-01T13:00:00Z"},
                ]
            },
            400,
            "slot_overlap",
        ),
        ({"slots": [{"starts_at": "soon", "ends_at": "later"}]}, 422, "validation_error"),
        (
            {"slots": [{"starts_at": "9999-12-31T23:00:00Z", "ends_at": "9999-12-31T23:59:00Z"}]},
            422,
            "validation_error",
        ),
        ({"room": "\x00"}, 422, "validation_error"),
        ({"modality": "teleport"}, 422, "validation_error"),
        ({"join_url": "not a url", "modality": "virtual", "venue_id": None}, 400, "invalid"),
    ],
)
def test_bad_session_input_is_a_problem(client, program_manager, change, status, code):
    course = make_course()
    venue = make_venue(capacity=20)
    response = post(client, program_manager, "/sessions", _new_session(course, venue, **change))
    assert_problem(response, status, code)
    assert not Session.objects.exists()


def test_venue_clash_is_refused(client, program_manager):
    venue = make_venue()
    start = in_days(7)
    make_session(program_manager, venue=venue, starts_at=start)
    body = _new_session(
        make_course(),
        venue,
        slots=[
            {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()}
        ],
    )
    assert_problem(post(client, program_manager, "/sessions", body), 400, "venue_clash")
    assert Session.objects.count() == 1


def test_program_manager_opens_a_draft_once(client, program_manager, learner):
    draft = make_session(program_manager, publish=False)

    assert_problem(post(client, learner, f"/sessions/{draft.pk}/open"), 404, "not_found")
    opened = post(client, program_manager, f"/sessions/{draft.pk}/open")
    again = post(client, program_manager, f"/sessions/{draft.pk}/open")

    assert opened.status_code == 200
    assert opened.json()["status"] == "open"
    assert_problem(again, 400, "not_draft")


def test_learner_who_sees_a_session_may_not_open_or_cancel_it(client, program_manager, learner):
    session = make_session(program_manager)
    assert_problem(post(client, learner, f"/sessions/{session.pk}/open"), 403, "forbidden")
    assert_problem(
        post(client, learner, f"/sessions/{session.pk}/cancel", {"reason": "No"}), 403, "forbidden"
    )
    session.refresh_from_db()
    assert session.status == "open"


def test_program_manager_cancels_with_a_reason(client, program_manager, learner):
    session = make_session(program_manager)
    enrol_services.session_enrol(session=session, person=learner, actor=learner)

    no_reason = post(client, program_manager, f"/sessions/{session.pk}/cancel", {"reason": "  "})
    missing = post(client, program_manager, f"/sessions/{session.pk}/cancel")
    done = post(client, program_manager, f"/sessions/{session.pk}/cancel", {"reason": "Snow"})

    nul = post(client, program_manager, f"/sessions/{session.pk}/cancel", {"reason": "a\x00b"})
    assert_problem(nul, 422, "validation_error")
    assert_problem(no_reason, 422, "validation_error")
    assert_problem(missing, 422, "validation_error")
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["cancel_reason"]) == ("cancelled", "Snow")
    # The learner's booking stays, and they can no longer enrol there.
    assert bookings_state() == [(session.pk, learner.pk, "enrolled")]
    assert_problem(
        post(client, learner, f"/sessions/{session.pk}/enrolments"), 400, "session_cancelled"
    )


# --- The schema -----------------------------------------------------------------------------


def test_input_schemas_never_offer_server_set_fields(client, learner):
    schemas = client.get(f"{API}/openapi.json").json()["components"]["schemas"]
    server_set = {
        "id",
        "status",
        "enrolled_count",
        "check_in_code",
        "created_by",
        "created_at",
        "archived_at",
        "sequence",
        "cancelled_at",
        "org_unit",
        "key",
    }
    for name in ("CourseIn", "CourseUpdateIn", "SessionCreateIn"):
        assert set(schemas[name]["properties"]) & server_set == set(), name
    assert set(schemas["SessionEnrolIn"]["properties"]) == {"person_id"}
    assert set(schemas["MarkIn"]["properties"]) == {"booking_id", "attendance"}
    assert set(schemas["CheckInIn"]["properties"]) == {"code"}
    assert set(schemas["CancelIn"]["properties"]) == {"reason"}
