"""The ladder's rule pages: the overview in plain words, a program manager's edits (course and
default), refusals shown in place with nothing changed, "Use the default", every denial path,
the audit trail and the overview's query budget."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cascade.certification import ladder
from cascade.certification.forms_ladder import LadderRuleForm
from cascade.certification.models import LadderRule
from cascade.certification.selectors.awards import Rule, ladder_rules
from cascade.certification.services import defaults_install
from cascade.certification.services.awards import ladder_rule_save
from cascade.certification.services.ladder_rules import ladder_rule_reset
from cascade.certification.views_ladder import competency_ranges
from cascade.core.errors import ApplicationError, Forbidden
from cascade.core.models import AuditEntry
from cascade.delivery.tests.factories import make_course
from cascade.people.models import Role
from cascade.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

ONE = {"co_deliveries": 1}
OUTSIDERS = [Role.TRAINER, Role.LEARNER, Role.MANAGER, None]
XSS = "<svg onload=alert(1)> < > & &lt; &gt; &amp; ' \\' 碁 \\ \\\\"


@pytest.fixture
def pm() -> Any:
    return PersonFactory(roles=[Role.PROGRAM_MANAGER])


@pytest.fixture
def master() -> Any:
    return PersonFactory(roles=[Role.MASTER_TRAINER])


@pytest.fixture
def framework(pm: Any) -> None:
    defaults_install(actor=pm)


@pytest.fixture
def course() -> Any:
    return make_course(title="Safe patient handling")


def _client(person: Any) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    return client


def _person(role: str | None) -> Any:
    return PersonFactory(roles=[role] if role else [])


def _default(level: str) -> Rule:
    shipped = ladder.DEFAULT_RULES[level]
    return Rule(level, shipped["requirements"], shipped["valid_months"], shipped["renewal"])


def _data(rule: Rule, **changes: Any) -> dict[str, Any]:
    """The POST a browser sends for the form as prefilled from ``rule``, with ``changes``."""
    data: dict[str, Any] = {}
    for name, value in {**LadderRuleForm.initial_for(rule), **changes}.items():
        if value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = str(value)
    return data


def _edit_url(scope: Any, level: str) -> str:
    return reverse("certification:ladder_edit", args=[scope, level])


def _reset_url(scope: Any, level: str) -> str:
    return reverse("certification:ladder_reset", args=[scope, level])


def _state() -> list[Any]:
    """Everything an edit could change, to check that a refused request changed nothing."""
    return [
        sorted(
            LadderRule.objects.values_list(
                "course_id", "level", "requirements", "valid_months", "renewal"
            ),
            key=repr,
        ),
        AuditEntry.objects.filter(action__startswith="ladder_rule").count(),
    ]


# --- The rules in words -----------------------------------------------------------------------


def test_competency_ranges_group_consecutive_codes_with_the_same_level():
    levels = {"C10": 2, "C02": 2, "C01": 2, "C03": 3, "C05": 3, "C12": 3, "C13": 3, "X": 1}

    assert competency_ranges(levels) == [
        "C01–C02 at level 2 or above",
        "C03 at level 3 or above",
        "C05 at level 3 or above",
        "C10 at level 2 or above",
        "C12–C13 at level 3 or above",
        "X at level 1 or above",
    ]


@pytest.mark.parametrize("role", [Role.PROGRAM_MANAGER, Role.MASTER_TRAINER])
def test_overview_shows_the_default_ladder_in_words(role):
    response = _client(_person(role)).get(reverse("certification:ladder"))

    assert response.status_code == 200
    page = response.content.decode()
    for words in (
        "1 trainer-development program completed",
        "1 teach-back passed",
        "Holds co-facilitator",
        "2 sessions co-delivered",
        "1 observed solo delivery passed",
        "C01–C10 at level 2 or above",
        "24 months",
        "2 sessions delivered in the period",
        "A re-observation passed in the period",
        "6 development hours",
        "Holds certified trainer",
        "3 sessions led",
        "C12–C13 at level 3 or above",
        "Calibrated (certifying) observer",
        "Still a calibrated (certifying) observer",
        "No course has rules of its own yet",
    ):
        assert words in page, words
    assert 'class="subnav"' in page
    edit_link = _edit_url("default", "certified")
    assert (edit_link in page) is (role == Role.PROGRAM_MANAGER)


def test_overview_lists_courses_with_own_rules_and_opens_a_course(pm, course):
    other = make_course(title="Manual handling")
    ladder_rule_save(
        course=course,
        level="certified",
        requirements={"co_deliveries": 4},
        valid_months=18,
        renewal={},
        actor=pm,
    )
    client = _client(pm)

    listed = client.get(reverse("certification:ladder")).content.decode()
    opened = client.get(reverse("certification:ladder"), {"course": other.pk}).content.decode()

    assert "Safe patient handling" in listed
    assert "4 sessions co-delivered" in listed
    assert "18 months" in listed
    assert "As the default ladder" in listed  # its other two levels
    assert _edit_url(course.pk, "master") in listed
    # A course without rules of its own opens on the default's rules, marked as the default.
    assert f'id="ladder-{other.pk}"' in opened
    assert opened.count("2 sessions co-delivered") == 2  # its table and the default's
    assert _edit_url(other.pk, "certified") in opened


def test_overview_query_count_does_not_grow_with_courses(pm, django_assert_max_num_queries):
    def save_for_new_course() -> None:
        ladder_rule_save(
            course=make_course(),
            level="master",
            requirements={"lead_deliveries": 5},
            valid_months=12,
            renewal={},
            actor=pm,
        )

    client = _client(pm)
    save_for_new_course()
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("certification:ladder")).status_code == 200
    for _ in range(4):
        save_for_new_course()
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("certification:ladder"))

    assert response.content.decode().count("5 sessions led") == 5


def test_user_text_is_escaped(pm):
    course = make_course(title=XSS)
    ladder_rule_save(
        course=course, level="certified", requirements=ONE, valid_months=6, renewal={}, actor=pm
    )
    client = _client(pm)

    pages = [
        client.get(reverse("certification:ladder")).content.decode(),
        client.get(reverse("certification:ladder"), {"course": course.pk}).content.decode(),
        client.get(_edit_url(course.pk, "certified")).content.decode(),
    ]

    for page in pages:
        assert "<svg onload" not in page
        assert "&lt;svg onload=alert(1)&gt;" in page


# --- Editing ----------------------------------------------------------------------------------


def test_edit_page_of_a_course_without_a_rule_starts_from_the_default(pm, framework, course):
    response = _client(pm).get(_edit_url(course.pk, "certified"))

    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial == LadderRuleForm.initial_for(_default("certified"))
    assert [f.name for f in form.competency_fields()] == [
        f"competency_C{n:02d}" for n in range(1, 14)
    ]
    page = response.content.decode()
    assert "follows the default" in page
    assert _reset_url(course.pk, "certified") not in page  # nothing to reset yet
    assert 'name="co_deliveries" value="2"' in page
    assert "style=" not in page


def test_pm_edits_a_course_rule_and_only_that_course_changes(pm, framework, course):
    other = make_course()
    levels = {f"competency_C{n:02d}": 3 for n in range(1, 11)}

    response = _client(pm).post(
        _edit_url(course.pk, "certified"),
        _data(_default("certified"), co_deliveries=3, **levels),
    )

    assert response.status_code == 302
    assert (
        response["Location"]
        == f"{reverse('certification:ladder')}?course={course.pk}#ladder-{course.pk}"
    )
    assert ladder_rules(course.pk)["certified"] == Rule(
        "certified",
        {
            "holds": "co_facilitator",
            "co_deliveries": 3,
            "solo_observed": 1,
            "competencies": {f"C{n:02d}": 3 for n in range(1, 11)},
        },
        24,
        {"deliveries": 2, "re_observation": True, "development_hours": 6.0},
    )
    assert ladder_rules(other.pk)["certified"] == _default("certified")
    assert ladder_rules(None)["certified"] == _default("certified")
    assert ladder_rules(course.pk)["master"] == _default("master")
    entry = AuditEntry.objects.get(action="ladder_rule_saved")
    assert entry.actor == pm
    assert entry.target_id == str(LadderRule.objects.get(course=course, level="certified").pk)
    assert entry.changes["requirements"]["co_deliveries"] == 3


def test_blank_inputs_drop_requirements(pm, framework, course):
    data = _data(_default("certified"), co_deliveries="", holds="", renewal_re_observation=False)
    data = {k: v for k, v in data.items() if not k.startswith("competency_")}

    _client(pm).post(_edit_url(course.pk, "certified"), data)

    rule = ladder_rules(course.pk)["certified"]
    assert rule.requirements == {"solo_observed": 1}
    assert rule.renewal == {"deliveries": 2, "development_hours": 6.0}


def test_saved_rule_reads_back_on_the_overview_and_edit_page(pm, framework, course):
    client = _client(pm)
    client.post(
        _edit_url(course.pk, "master"),
        _data(_default("master"), min_feedback="4.5", calibrated=False, renewal_deliveries="1"),
    )

    overview = client.get(reverse("certification:ladder")).content.decode()
    edit = client.get(_edit_url(course.pk, "master"))

    assert "Learner feedback 4.5 or above" in overview
    assert "Calibrated (certifying) observer" in overview  # the default's master row still
    assert edit.context["form"].initial["min_feedback"] == 4.5
    assert edit.context["form"].initial["calibrated"] is False
    assert _reset_url(course.pk, "master") in edit.content.decode()


def test_pm_edits_the_default_for_every_course_without_its_own(pm, course):
    own = make_course()
    ladder_rule_save(
        course=own,
        level="co_facilitator",
        requirements={"teach_backs_passed": 3},
        valid_months=6,
        renewal={},
        actor=pm,
    )

    response = _client(pm).post(
        _edit_url("default", "co_facilitator"),
        _data(_default("co_facilitator"), teach_backs_passed=2, valid_months=9),
    )

    assert response.status_code == 302
    expected = Rule("co_facilitator", {"programs_completed": 1, "teach_backs_passed": 2}, 9, {})
    assert ladder_rules(None)["co_facilitator"] == expected
    assert ladder_rules(course.pk)["co_facilitator"] == expected
    assert ladder_rules(own.pk)["co_facilitator"].requirements == {"teach_backs_passed": 3}
    assert LadderRule.objects.get(course=None, level="co_facilitator").valid_months == 9


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"co_deliveries": "-1"}, {"co_deliveries": ["Must be a whole number from 0 to 100."]}),
        (
            {"co_deliveries": "-1", "lead_deliveries": "101"},
            {
                "co_deliveries": ["Must be a whole number from 0 to 100."],
                "lead_deliveries": ["Must be a whole number from 0 to 100."],
            },
        ),
        ({"min_feedback": "-0.5"}, {"min_feedback": ["Must be a rating from 1 to 5."]}),
        ({"min_feedback": "5.5"}, {"min_feedback": ["Must be a rating from 1 to 5."]}),
        (
            {"renewal_deliveries": "-2"},
            {"renewal_deliveries": ["Must be a whole number from 0 to 100."]},
        ),
        (
            {"renewal_development_hours": "-1"},
            {"renewal_development_hours": ["Must be a number of 0 or more."]},
        ),
        (
            {"valid_months": "0"},
            {"valid_months": ["Ensure this value is greater than or equal to 1."]},
        ),
        (
            {"valid_months": "-3"},
            {"valid_months": ["Ensure this value is greater than or equal to 1."]},
        ),
        ({"valid_months": ""}, {"valid_months": ["This field is required."]}),
        ({"co_deliveries": "two"}, {"co_deliveries": ["Enter a whole number."]}),
        (
            {"holds": "grand_master"},
            {"holds": ["Select a valid choice. grand_master is not one of the available choices."]},
        ),
        (
            {"competency_C01": "5"},
            {"competency_C01": ["Select a valid choice. 5 is not one of the available choices."]},
        ),
    ],
)
def test_bad_input_shows_field_errors_and_changes_nothing(pm, framework, course, changes, errors):
    before = _state()

    response = _client(pm).post(
        _edit_url(course.pk, "certified"), _data(_default("certified"), **changes)
    )

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert "field--error" in page
    assert _state() == before


def test_a_rule_without_requirements_is_refused_in_place(pm, framework, course):
    data = {"valid_months": "12", "renewal_deliveries": "1"}
    before = _state()

    response = _client(pm).post(_edit_url(course.pk, "certified"), data)

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "__all__": ["Give at least one requirement: the ladder never awards a level without one."]
    }
    assert "the ladder never awards a level without one" in response.content.decode()
    assert _state() == before


def test_competencies_outside_the_published_framework_are_kept(pm, framework, course):
    ladder_rule_save(
        course=course,
        level="certified",
        requirements={"competencies": {"C01": 2, "X99": 4}},
        valid_months=24,
        renewal={},
        actor=pm,
    )
    client = _client(pm)
    rule = ladder_rules(course.pk)["certified"]

    page = client.get(_edit_url(course.pk, "certified")).content.decode()
    client.post(_edit_url(course.pk, "certified"), _data(rule))

    assert "Not in the published framework: X99" in page
    assert ladder_rules(course.pk)["certified"].requirements == {
        "competencies": {"C01": 2, "X99": 4}
    }


# --- Use the default --------------------------------------------------------------------------


def test_reset_restores_the_default_and_is_audited(pm, course):
    ladder_rule_save(
        course=course,
        level="certified",
        requirements={"co_deliveries": 3},
        valid_months=12,
        renewal={"deliveries": 1},
        actor=pm,
    )
    client = _client(pm)

    response = client.post(_reset_url(course.pk, "certified"))

    assert response.status_code == 302
    assert ladder_rules(course.pk)["certified"] == _default("certified")
    assert not LadderRule.objects.exists()
    entry = AuditEntry.objects.get(action="ladder_rule_reset")
    assert entry.actor == pm
    assert entry.changes == {
        "course": course.pk,
        "level": "certified",
        "removed": {
            "requirements": {"co_deliveries": 3},
            "valid_months": 12,
            "renewal": {"deliveries": 1},
        },
    }
    again = client.post(_reset_url(course.pk, "certified"), follow=True)
    assert "already follows the default" in again.content.decode()
    assert AuditEntry.objects.filter(action="ladder_rule_reset").count() == 1


def test_reset_keeps_the_other_levels_and_courses(pm, course):
    other = make_course()
    for c, level in ((course, "certified"), (course, "master"), (other, "certified")):
        ladder_rule_save(
            course=c, level=level, requirements=ONE, valid_months=3, renewal={}, actor=pm
        )

    _client(pm).post(_reset_url(course.pk, "certified"))

    assert sorted(LadderRule.objects.values_list("course_id", "level")) == sorted(
        [(course.pk, "master"), (other.pk, "certified")]
    )


def test_reset_is_post_only_and_not_for_the_default(pm, course):
    ladder_rule_save(
        course=None, level="certified", requirements=ONE, valid_months=3, renewal={}, actor=pm
    )
    client = _client(pm)
    before = _state()

    assert client.get(_reset_url(course.pk, "certified")).status_code == 405
    assert client.post(_reset_url("default", "certified")).status_code == 404
    assert _state() == before


def test_reset_service_refusals(pm, master, course):
    ladder_rule_save(
        course=course, level="certified", requirements=ONE, valid_months=3, renewal={}, actor=pm
    )
    before = _state()

    with pytest.raises(Forbidden):
        ladder_rule_reset(course=course, level="certified", actor=master)
    with pytest.raises(ApplicationError) as no_course:
        ladder_rule_reset(course=None, level="certified", actor=pm)
    with pytest.raises(ApplicationError) as bad_level:
        ladder_rule_reset(course=course, level="candidate", actor=pm)

    assert no_course.value.code == "bad_scope"
    assert bad_level.value.code == "bad_level"
    assert _state() == before


# --- Who may do what --------------------------------------------------------------------------


def _writes(course: Any) -> list[tuple[str, str, dict[str, Any]]]:
    data = _data(_default("certified"), co_deliveries=9)
    return [
        ("get", _edit_url(course.pk, "certified"), {}),
        ("get", _edit_url("default", "certified"), {}),
        ("post", _edit_url(course.pk, "certified"), data),
        ("post", _edit_url("default", "certified"), data),
        ("post", _reset_url(course.pk, "certified"), {}),
    ]


def test_master_reads_but_may_not_edit(pm, master, course):
    ladder_rule_save(
        course=course, level="certified", requirements=ONE, valid_months=3, renewal={}, actor=pm
    )
    client = _client(master)
    before = _state()

    overview = client.get(reverse("certification:ladder"), {"course": course.pk})
    codes = [getattr(client, m)(url, data).status_code for m, url, data in _writes(course)]

    assert overview.status_code == 200
    assert "/certification/ladder/default/" not in overview.content.decode()
    assert codes == [403] * 5
    assert _state() == before


@pytest.mark.parametrize("role", OUTSIDERS)
def test_others_get_404_everywhere(pm, course, role):
    ladder_rule_save(
        course=course, level="certified", requirements=ONE, valid_months=3, renewal={}, actor=pm
    )
    client = _client(_person(role))
    before = _state()

    overview = client.get(reverse("certification:ladder"))
    codes = [getattr(client, m)(url, data).status_code for m, url, data in _writes(course)]

    assert overview.status_code == 404
    assert codes == [404] * 5
    assert _state() == before


def test_signed_out_people_are_sent_to_sign_in(course):
    client = Client()

    responses = [client.get(reverse("certification:ladder"))] + [
        getattr(client, m)(url, data) for m, url, data in _writes(course)
    ]

    assert [r.status_code for r in responses] == [302] * 6
    assert all(r["Location"].startswith(reverse("people:login")) for r in responses)
    assert not LadderRule.objects.exists()


def test_pm_who_was_deactivated_is_refused(pm, course):
    client = _client(pm)
    pm.is_active = False
    pm.save(update_fields=["is_active"])

    assert client.get(reverse("certification:ladder")).status_code == 302
    assert not LadderRule.objects.exists()


@pytest.mark.parametrize(
    ("scope", "level"),
    [("999999", "certified"), ("abc", "certified"), ("default", "candidate"), ("1x", "master")],
)
def test_unknown_scope_or_level_is_404(pm, scope, level):
    client = _client(pm)

    assert client.get(_edit_url(scope, level)).status_code == 404
    assert client.post(_edit_url(scope, level), _data(_default("master"))).status_code == 404
    assert client.post(_reset_url(scope, level)).status_code == 404
    assert not LadderRule.objects.exists()
