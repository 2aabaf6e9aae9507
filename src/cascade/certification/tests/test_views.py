"""Framework and rubric pages: who reads them, who edits them (as new versions), the refusals
shown in place, and the query budget of the rubric pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from cascade.certification import defaults, rules, services
from cascade.certification.models import Competency, Criterion, Framework, Rubric
from cascade.core.models import AuditEntry
from cascade.people.models import Role
from cascade.people.tests.factories import OrgUnitFactory, RoleAssignmentFactory

pytestmark = pytest.mark.django_db

FW, TB, VD = defaults.FRAMEWORK_SLUG, defaults.TEACH_BACK_SLUG, defaults.VIRTUAL_SLUG
READERS = [Role.PROGRAM_MANAGER, Role.MASTER_TRAINER, Role.TRAINER]
OUTSIDERS = [Role.LEARNER, Role.MANAGER, None]


@pytest.fixture
def installed(program_manager: Any) -> tuple[Framework, Rubric, Rubric]:
    return services.defaults_install(actor=program_manager)


def _pages() -> list[str]:
    return [
        reverse("certification:frameworks"),
        reverse("certification:framework", args=[FW]),
        reverse("certification:rubrics"),
        reverse("certification:rubric", args=[TB]),
        reverse("certification:rubric", args=[VD]),
    ]


def _state() -> list[Any]:
    """Everything an edit could change, to check that a refused request changed nothing."""
    return [
        sorted(Framework.objects.values_list("slug", "version", "status", "name", "level_names")),
        sorted(Competency.objects.values_list("framework_id", "code", "name", "descriptor")),
        sorted(Rubric.objects.values_list("slug", "version", "status", "min_each", "min_mean")),
        sorted(Criterion.objects.values_list("rubric_id", "code", "name", "critical", "anchors")),
        sorted(Criterion.competencies.through.objects.values_list("criterion_id", "competency_id")),
    ]


def _scoped_program_manager() -> Any:
    unit = OrgUnitFactory()
    return RoleAssignmentFactory(role=Role.PROGRAM_MANAGER, org_unit=unit).person


def _criterion_data(prefix: str, criterion: Criterion, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"{prefix}-code": criterion.code,
        f"{prefix}-name": criterion.name,
        f"{prefix}-competencies": [c.pk for c in criterion.competencies.all()],
    }
    if criterion.critical:
        data[f"{prefix}-critical"] = "on"
    for level in (1, 2, 3, 4):
        data[f"{prefix}-anchor_{level}"] = criterion.anchors[str(level)]
    data.update({f"{prefix}-{k}": v for k, v in changes.items()})
    return data


# --- Reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS)
def test_readers_see_frameworks_and_rubrics(client, make_person, installed, role):
    client.force_login(make_person(role))

    responses = [client.get(url) for url in _pages()]

    assert [r.status_code for r in responses] == [200] * 5
    framework_page = responses[1].content.decode()
    assert "Trainer competencies" in framework_page
    assert "Foundational" in framework_page
    assert "Models the practice, coaches and assesses other trainers." in framework_page
    assert "Subject credibility" in framework_page
    assert "Professional practice and coaching" in framework_page
    assert "13 competencies" in framework_page
    can_edit = role == Role.PROGRAM_MANAGER
    for page in responses[1], responses[3]:
        assert ("Start a new version" in page.content.decode()) is can_edit


def test_rubric_page_shows_the_grid_the_rule_and_the_add_on(client, make_person, installed):
    client.force_login(make_person(Role.TRAINER))

    page = client.get(reverse("certification:rubric", args=[TB])).content.decode()
    add_on = client.get(reverse("certification:rubric", args=[VD])).content.decode()
    listing = client.get(reverse("certification:rubrics")).content.decode()

    assert "10 criteria" in page
    assert (
        "Every criterion at 2 or above, critical ones at 3 or above, and a mean of 3.00 or above."
        in page
    )
    assert '<abbr class="comp" title="Questioning">C07</abbr>' in page
    assert "A mix of questions, at least one at the apply level or above; waits about 3 s." in page
    assert page.count(">Critical</span>") == 1  # R2 only
    assert 'id="r-R2" class="is-critical"' in page
    assert f'href="/certification/rubrics/{VD}/">Virtual delivery add-on</a>' in page
    assert f'href="/certification/rubrics/{TB}/">Teach-back observation</a>' in add_on
    assert "(this is an add-on to it)" in add_on
    assert "Extends" in listing
    assert "Virtual delivery add-on" in listing


@pytest.mark.parametrize("role", OUTSIDERS)
def test_people_who_neither_teach_nor_run_programmes_get_404(client, make_person, installed, role):
    client.force_login(make_person(*([role] if role else [])))
    before = _state()
    draft_posts = [
        reverse("certification:framework_new_version", args=[FW]),
        reverse("certification:rubric_new_version", args=[TB]),
        reverse("certification:rubric_rule", args=[TB]),
        reverse("certification:framework_publish", args=[FW]),
    ]

    pages = [client.get(url).status_code for url in _pages()]
    drafts = [
        client.get(reverse("certification:framework_draft", args=[FW])).status_code,
        client.get(reverse("certification:rubric_draft", args=[TB])).status_code,
    ]
    posts = [client.post(url, {"rule-min_mean": "1"}).status_code for url in draft_posts]

    assert pages == [404] * 5
    assert drafts == [404, 404]
    assert posts == [404] * 4
    assert _state() == before


def test_signed_out_visitors_are_sent_to_sign_in(client, installed):
    response = client.get(reverse("certification:rubrics"))
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_an_inactive_program_manager_may_neither_read_nor_edit(make_person):
    person = make_person(Role.PROGRAM_MANAGER, is_active=False)

    assert (rules.can_read(person), rules.can_edit(person)) == (False, False)


def test_a_scoped_program_manager_reads_but_cannot_edit(client, installed):
    client.force_login(_scoped_program_manager())
    before = _state()

    page = client.get(reverse("certification:rubric", args=[TB]))
    start = client.post(reverse("certification:rubric_new_version", args=[TB]))
    start_fw = client.post(reverse("certification:framework_new_version", args=[FW]))
    draft = client.get(reverse("certification:rubric_draft", args=[TB]))

    assert page.status_code == 200
    assert "Start a new version" not in page.content.decode()
    assert (start.status_code, start_fw.status_code, draft.status_code) == (404, 404, 404)
    assert _state() == before


def test_trainers_cannot_reach_a_draft_even_by_version_number(
    client, make_person, program_manager, installed
):
    services.rubric_draft(slug=TB, actor=program_manager)
    services.framework_draft(slug=FW, actor=program_manager)
    client.force_login(make_person(Role.TRAINER))

    rubric_v2 = client.get(reverse("certification:rubric", args=[TB]), {"version": 2})
    framework_v2 = client.get(reverse("certification:framework", args=[FW]), {"version": 2})
    listing = client.get(reverse("certification:rubrics")).content.decode()
    page = client.get(reverse("certification:rubric", args=[TB])).content.decode()

    assert (rubric_v2.status_code, framework_v2.status_code) == (404, 404)
    assert "Continue the draft" not in listing
    assert "Version 2" not in page


@pytest.mark.parametrize("version", ["abc", "0", "99", "-1", "1" * 30])
def test_unknown_versions_and_slugs_are_404(client, program_manager, installed, version):
    client.force_login(program_manager)
    assert client.get(f"/certification/rubrics/{TB}/", {"version": version}).status_code == 404
    assert client.get(f"/certification/frameworks/{FW}/", {"version": version}).status_code == 404
    assert client.get("/certification/rubrics/nothing-here/").status_code == 404
    assert client.get("/certification/frameworks/nothing-here/draft/").status_code == 404


def test_get_never_starts_a_version(client, program_manager, installed):
    client.force_login(program_manager)
    before = _state()

    start = client.get(reverse("certification:rubric_new_version", args=[TB]))
    publish = client.get(reverse("certification:rubric_publish", args=[TB]))
    draft = client.get(reverse("certification:rubric_draft", args=[TB]))

    assert (start.status_code, publish.status_code) == (405, 405)
    assert draft.status_code == 302  # no draft yet: back to the rubric, with a message
    assert draft["Location"] == reverse("certification:rubric", args=[TB])
    assert _state() == before


# --- Editing a framework -----------------------------------------------------------------------


def test_program_manager_edits_a_framework_as_a_new_version(client, program_manager, installed):
    framework = installed[0]
    client.force_login(program_manager)

    # when they start a new version
    start = client.post(reverse("certification:framework_new_version", args=[FW]))
    draft = Framework.objects.get(slug=FW, status="draft")
    assert start.status_code == 302
    assert start["Location"] == reverse("certification:framework_draft", args=[FW])
    assert draft.version == 2
    page = client.get(start["Location"]).content.decode()
    assert "Draft version 2" in page
    assert "People keep being assessed against the version they started with" in page
    assert (
        "Continue the draft (version 2)"
        in client.get(f"/certification/frameworks/{FW}/").content.decode()
    )

    # and change a competency
    c01 = draft.competencies.get(code="C01")
    edit = client.post(
        reverse("certification:competency_edit", args=[FW, c01.pk]),
        {
            f"c{c01.pk}-code": "C01",
            f"c{c01.pk}-name": "Subject mastery",
            f"c{c01.pk}-descriptor": "Knows it.",
        },
    )
    assert edit.status_code == 302
    c01.refresh_from_db()
    assert (c01.name, c01.descriptor) == ("Subject mastery", "Knows it.")

    # and add one, and rename the levels
    client.post(
        reverse("certification:competency_add", args=[FW]),
        {"new-code": "c14", "new-name": "Digital safety", "new-descriptor": ""},
    )
    client.post(
        reverse("certification:framework_draft_update", args=[FW]),
        {
            "framework-name": "Trainer competencies",
            "framework-description": "Revised.",
            "framework-level_1": "Novice",
            "framework-level_2": "Proficient",
            "framework-level_3": "Advanced",
            "framework-level_4": "Expert",
        },
    )
    # and publish
    publish = client.post(reverse("certification:framework_publish", args=[FW]))

    assert publish.status_code == 302
    assert publish["Location"] == reverse("certification:framework", args=[FW])
    framework.refresh_from_db()
    draft.refresh_from_db()
    assert (framework.status, draft.status) == ("retired", "published")
    assert draft.level_names == ["Novice", "Proficient", "Advanced", "Expert"]
    assert list(draft.competencies.values_list("code", flat=True))[-1] == "C14"
    assert framework.competencies.get(code="C01").name == "Subject credibility"
    shown = client.get(publish["Location"]).content.decode()
    assert "Version 2" in shown
    assert "Subject mastery" in shown
    assert "14 competencies" in shown
    old = client.get(publish["Location"], {"version": 1}).content.decode()
    assert "Version 1 is retired" in old
    assert "Subject credibility" in old
    assert AuditEntry.objects.filter(action="certification.framework.published").count() == 1


def test_a_duplicate_competency_code_is_shown_on_its_field(client, program_manager, installed):
    draft = services.framework_draft(slug=FW, actor=program_manager)
    c01 = draft.competencies.get(code="C01")
    client.force_login(program_manager)
    before = _state()

    response = client.post(
        reverse("certification:competency_edit", args=[FW, c01.pk]),
        {f"c{c01.pk}-code": "c02", f"c{c01.pk}-name": "Renamed", f"c{c01.pk}-descriptor": ""},
    )

    html = response.content.decode()
    assert response.status_code == 400
    error = html.split(f'id="id_c{c01.pk}-code_error"', 1)[1].split("</div>", 1)[0]
    assert "Another competency already has the code C02." in error
    assert f'Nothing was saved. <a href="#c-{c01.pk}">See what needs fixing</a>' in html
    assert '<details class="edit-item" open>' in html
    assert 'value="Renamed"' in html  # what they typed comes back
    assert _state() == before


def test_removing_a_competency_and_refusing_an_empty_framework(client, program_manager, installed):
    draft = services.framework_draft(slug=FW, actor=program_manager)
    client.force_login(program_manager)
    for competency in list(draft.competencies.all()):
        response = client.post(reverse("certification:competency_remove", args=[FW, competency.pk]))
        assert response.status_code == 302

    refused = client.post(reverse("certification:framework_publish", args=[FW]))

    assert refused.status_code == 400
    assert "Add at least one competency." in refused.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert installed[0].competencies.count() == 13


def test_a_competency_of_another_version_is_404(client, program_manager, installed):
    services.framework_draft(slug=FW, actor=program_manager)
    published_c01 = installed[0].competencies.get(code="C01")
    client.force_login(program_manager)
    before = _state()

    edit = client.post(
        reverse("certification:competency_edit", args=[FW, published_c01.pk]),
        {f"c{published_c01.pk}-code": "C01", f"c{published_c01.pk}-name": "Hijacked"},
    )
    remove = client.post(reverse("certification:competency_remove", args=[FW, published_c01.pk]))

    assert (edit.status_code, remove.status_code) == (404, 404)
    assert _state() == before


def test_user_text_is_escaped(client, program_manager, installed):
    draft = services.framework_draft(slug=FW, actor=program_manager)
    nasty = "<svg onload=alert(1)> < > & &lt; ' \\' 碁"
    services.competency_save(framework=draft, code="X1", name=nasty, descriptor="javascript:x")
    services.framework_publish(framework=draft, actor=program_manager)
    client.force_login(program_manager)

    html = client.get(reverse("certification:framework", args=[FW])).content.decode()

    assert "<svg onload" not in html
    assert "&lt;svg onload=alert(1)&gt; &lt; &gt; &amp; &amp;lt; &#x27; \\&#x27; 碁" in html


# --- Editing a rubric --------------------------------------------------------------------------


def test_program_manager_changes_the_rule_and_publishes_a_rubric(
    client, program_manager, installed
):
    client.force_login(program_manager)

    client.post(reverse("certification:rubric_new_version", args=[TB]))
    draft = Rubric.objects.get(slug=TB, status="draft")
    page = client.get(reverse("certification:rubric_draft", args=[TB])).content.decode()
    rule = client.post(
        reverse("certification:rubric_rule", args=[TB]),
        {"rule-min_each": "2", "rule-min_critical": "3", "rule-min_mean": "2.75"},
    )
    r6 = draft.criteria.get(code="R6")
    edit = client.post(
        reverse("certification:criterion_edit", args=[TB, r6.pk]),
        _criterion_data(f"r{r6.pk}", r6, anchor_4="Probes until the learner explains why."),
    )
    publish = client.post(reverse("certification:rubric_publish", args=[TB]))

    assert "Draft version 2" in page
    assert "Every criterion needs at least one competency." in page
    assert (rule.status_code, edit.status_code, publish.status_code) == (302, 302, 302)
    draft.refresh_from_db()
    r6.refresh_from_db()
    assert (draft.status, draft.min_mean) == ("published", Decimal("2.75"))
    assert r6.anchors["4"] == "Probes until the learner explains why."
    assert list(r6.competencies.values_list("code", flat=True)) == ["C07"]
    assert installed[1].criteria.get(code="R6").anchors["4"].startswith("Higher-order")
    shown = client.get(publish["Location"]).content.decode()
    assert "a mean of 2.75 or above" in shown
    assert "Version 2" in shown


def test_a_criterion_with_a_missing_anchor_changes_nothing(client, program_manager, installed):
    draft = services.rubric_draft(slug=TB, actor=program_manager)
    r3 = draft.criteria.get(code="R3")
    client.force_login(program_manager)
    before = _state()

    response = client.post(
        reverse("certification:criterion_edit", args=[TB, r3.pk]),
        _criterion_data(f"r{r3.pk}", r3, name="Pacing", anchor_2="  "),
    )

    html = response.content.decode()
    assert response.status_code == 400
    error = html.split(f'id="id_r{r3.pk}-anchor_2_error"', 1)[1].split("</div>", 1)[0]
    assert "Describe what level 2 looks like." in error
    assert f'Nothing was saved. <a href="#r-{r3.pk}">See what needs fixing</a>' in html
    assert html.count('<details class="edit-item" open>') == 1
    assert _state() == before


def test_a_duplicate_criterion_code_and_foreign_competencies_are_refused(
    client, program_manager, installed
):
    draft = services.rubric_draft(slug=TB, actor=program_manager)
    r3 = draft.criteria.get(code="R3")
    other_framework_draft = services.framework_draft(slug=FW, actor=program_manager)
    foreign = other_framework_draft.competencies.get(code="C01")
    client.force_login(program_manager)
    before = _state()

    duplicate = client.post(
        reverse("certification:criterion_edit", args=[TB, r3.pk]),
        _criterion_data(f"r{r3.pk}", r3, code="r4"),
    )
    foreign_choice = client.post(
        reverse("certification:criterion_edit", args=[TB, r3.pk]),
        _criterion_data(f"r{r3.pk}", r3, competencies=[foreign.pk]),
    )

    assert duplicate.status_code == 400
    assert "Another criterion already has the code R4." in duplicate.content.decode()
    assert foreign_choice.status_code == 400
    assert "is not one of the available choices" in foreign_choice.content.decode()
    assert _state() == before


def test_a_criterion_of_another_rubric_is_404(client, program_manager, installed):
    services.rubric_draft(slug=TB, actor=program_manager)
    virtual_draft = services.rubric_draft(slug=VD, actor=program_manager)
    v1 = virtual_draft.criteria.get(code="V1")
    client.force_login(program_manager)
    before = _state()

    edit = client.post(
        reverse("certification:criterion_edit", args=[TB, v1.pk]),
        _criterion_data(f"r{v1.pk}", v1, name="Moved"),
    )
    remove = client.post(reverse("certification:criterion_remove", args=[TB, v1.pk]))

    assert (edit.status_code, remove.status_code) == (404, 404)
    assert _state() == before


def test_publishing_an_unmapped_criterion_is_refused_clearly(client, program_manager, installed):
    client.force_login(program_manager)
    client.post(reverse("certification:rubric_new_version", args=[TB]))
    added = client.post(
        reverse("certification:criterion_add", args=[TB]),
        {
            "new-code": "r11",
            "new-name": "Safety briefing",
            "new-anchor_1": "None.",
            "new-anchor_2": "Mentioned.",
            "new-anchor_3": "Clear, with the why.",
            "new-anchor_4": "Learners lead it.",
        },
    )
    before = _state()

    refused = client.post(reverse("certification:rubric_publish", args=[TB]))

    assert added.status_code == 302
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "Version 2 was not published." in html
    assert "Map every criterion to a competency (missing: R11)." in html
    assert html.count(">No competency</span>") == 1
    assert _state() == before
    assert Rubric.objects.get(slug=TB, status="published").version == 1


def test_removing_a_criterion_leaves_the_published_version_alone(
    client, program_manager, installed
):
    draft = services.rubric_draft(slug=TB, actor=program_manager)
    client.force_login(program_manager)

    response = client.post(
        reverse("certification:criterion_remove", args=[TB, draft.criteria.get(code="R10").pk])
    )

    assert response.status_code == 302
    assert draft.criteria.count() == 9
    assert installed[1].criteria.count() == 10


# --- Query budgets -----------------------------------------------------------------------------


def test_rubric_pages_do_not_query_per_criterion(
    client, program_manager, installed, django_assert_max_num_queries
):
    client.force_login(program_manager)
    detail = reverse("certification:rubric", args=[TB])
    with django_assert_max_num_queries(10) as first:
        client.get(detail)
    with django_assert_max_num_queries(6):
        client.get(reverse("certification:rubrics"))

    # when a new version has twice the criteria, each mapped to two competencies
    draft = services.rubric_draft(slug=TB, actor=program_manager)
    competencies = list(draft.framework.competencies.values_list("pk", flat=True))
    for n in range(11, 21):
        services.criterion_save(
            rubric=draft,
            code=f"R{n}",
            name=f"Extra {n}",
            anchors={1: "a", 2: "b", 3: "c", 4: "d"},
            competency_ids=competencies[:2],
        )
    services.rubric_publish(rubric=draft, actor=program_manager)

    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get(detail)
    assert "20 criteria" in response.content.decode()


def test_draft_pages_do_not_query_per_row(
    client, program_manager, installed, django_assert_max_num_queries
):
    services.rubric_draft(slug=TB, actor=program_manager)
    services.framework_draft(slug=FW, actor=program_manager)
    client.force_login(program_manager)

    with django_assert_max_num_queries(10):
        rubric = client.get(reverse("certification:rubric_draft", args=[TB]))
    with django_assert_max_num_queries(9):
        framework = client.get(reverse("certification:framework_draft", args=[FW]))

    assert (rubric.status_code, framework.status_code) == (200, 200)
