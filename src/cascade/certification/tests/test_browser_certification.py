"""Proving it, in real browsers: a candidate submits a teach-back recording; two master trainers
score it blind, each in their own browser; they are two levels apart on one criterion, discuss
it and resolve it; the candidate now meets the ladder's rules and is a co-facilitator; the
credential verifies on the public page, and fails there once a program manager revokes it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from cascade.certification.models import Certification, Observation
from cascade.certification.tests.factories import master, teach_back_rubric
from cascade.delivery.tests.factories import make_course
from cascade.learning.models import Enrolment
from cascade.learning.tests.factories import build_program, enrol, open_cohort
from cascade.people.models import Role
from cascade.people.tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 2048


def _fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def _score(page: Any, levels: dict[str, int]) -> None:
    for code, level in levels.items():
        page.locator(f"#c-{code}").get_by_role("radio", name=re.compile(rf"^{level} ")).check()


def test_teach_back_to_verified_credential_and_revocation(
    browser, live_server, login, axe_check, screenshot, tmp_path
):
    teach_back_rubric()
    pm = PersonFactory(
        roles=[Role.PROGRAM_MANAGER], email="pat@example.org", display_name="Pat Manager"
    )
    candidate = PersonFactory(
        roles=[Role.TRAINER], email="cara@example.org", display_name="Cara Candidate"
    )
    cohort = open_cohort(build_program(pm)[0], pm)
    enrolment = enrol(cohort, candidate, pm)  # the train-the-trainer program, completed
    Enrolment.objects.filter(pk=enrolment.pk).update(status=Enrolment.Status.COMPLETED)
    make_course(title="Safe Patient Handling")
    master(email="alma@example.org", display_name="Alma Master")
    master(email="bo@example.org", display_name="Bo Master")
    recording = tmp_path / "teach-back.mp4"
    recording.write_bytes(MP4)

    # 1. The candidate submits a recorded teach-back with a self-assessment.
    cand = browser.new_context(viewport=DESKTOP)
    page = cand.new_page()
    login(page, "cara@example.org")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Certification").click()
    page.get_by_role("link", name="Submit a teach-back").first.click()
    page.get_by_label("Course you are preparing to deliver").select_option(
        label="Safe Patient Handling"
    )
    page.get_by_label("What you taught").fill("Checking a sling before a transfer")
    page.get_by_label("Recording (MP4 or WebM, up to 200 MB)").set_input_files(str(recording))
    page.get_by_label("R6 Questioning").select_option("3")
    page.get_by_label("Your reflection").fill("I rushed the questions at the end.")
    screenshot(page, "teach-back-submit")
    page.get_by_role("button", name="Submit for observation").click()
    expect(page.get_by_text("Your teach-back is in.")).to_be_visible()
    expect(page.locator("video")).to_be_visible()
    obs = Observation.objects.get(candidate=candidate)
    url = f"{live_server.url}/certification/observations/{obs.pk}/"

    # 2. Two masters score it blind, each in their own browser.
    alma_ctx, bo_ctx = browser.new_context(viewport=DESKTOP), browser.new_context(viewport=PHONE)
    alma, bo = alma_ctx.new_page(), bo_ctx.new_page()
    login(alma, "alma@example.org")
    login(bo, "bo@example.org")
    bo.goto(url)
    bo.get_by_role("button", name="Observe as master trainer").click()
    expect(bo.get_by_role("heading", name="Score Cara Candidate")).to_be_visible()
    alma.goto(url)
    alma.get_by_role("button", name="Observe as master trainer").click()
    _score(alma, {f"R{n}": 3 for n in range(1, 11)} | {"R6": 4})
    alma.locator("#id_evidence_R6").fill("Sequenced questions up to analyse, waited for answers")
    alma.locator("#id_time_R6").fill("6:40")
    alma.get_by_role("button", name="Submit my scores").click()
    expect(alma.get_by_text("Your scores are submitted.")).to_be_visible()

    # Bo has not submitted: Alma's levels and evidence are hidden from him.
    bo.goto(url)
    expect(bo.locator("li", has_text="Alma Master")).to_contain_text("scored")
    expect(bo.get_by_text("Sequenced questions up to analyse")).to_have_count(0)
    expect(bo.locator("#levels-table th", has_text="Alma Master")).to_have_count(0)
    screenshot(bo, "teach-back-blind-phone")
    assert _fits_the_screen(bo)
    bo.get_by_role("link", name="Score it").click()
    _score(bo, {f"R{n}": 3 for n in range(1, 11)} | {"R6": 2})
    bo.get_by_role("button", name="Submit my scores").click()

    # 3. Two levels apart on R6: moderation. Bo posts, Alma resolves.
    expect(bo.locator("#result-badge")).to_have_text("In moderation")
    expect(bo.locator("#levels-table th", has_text="Alma Master")).to_have_count(1)
    bo.get_by_label("Add to the discussion").fill("At 6:40 the questions were recall, not analyse.")
    bo.get_by_role("button", name="Post").click()
    alma.goto(url)
    expect(alma.get_by_text("At 6:40 the questions were recall")).to_be_visible()
    expect(alma.get_by_text("2+ levels apart")).to_be_visible()
    axe_check(alma)
    screenshot(alma, "teach-back-moderation")
    alma.locator("#resolve-form").get_by_role("radio", name=re.compile(r"^3 ")).check()
    alma.get_by_label("Why (for the record)").fill("Agreed 3: one analyse question, then recall.")
    alma.get_by_role("button", name="Resolve and decide").click()
    expect(alma.locator("#result-badge")).to_have_text("Passed")

    # 4. The candidate sees feedback and is now a co-facilitator for the course.
    page.goto(url)
    expect(page.get_by_role("heading", name="Result and feedback")).to_be_visible()
    expect(page.get_by_text("Sequenced questions up to analyse").first).to_be_visible()
    screenshot(page, "teach-back-feedback")
    page.get_by_role("navigation", name="Certification").get_by_role("link", name="My path").click()
    expect(page.get_by_role("link", name="Co-facilitator")).to_be_visible()
    expect(page.get_by_text("Next: Certified trainer")).to_be_visible()
    screenshot(page, "certification-path")
    cert = Certification.objects.get(person=candidate)
    assert cert.level == "co_facilitator"

    # 5. The credential verifies on the public page, to anyone.
    page.get_by_role("link", name="Co-facilitator").click()
    page.get_by_role("link", name="Public verification page").click()
    public = browser.new_context(viewport=PHONE).new_page()
    public.goto(page.url)
    expect(public.get_by_text("✓ The credential is valid.")).to_be_visible()
    expect(public.get_by_text("Cara Candidate", exact=True)).to_be_visible()
    screenshot(public, "credential-verified-phone")
    assert _fits_the_screen(public)

    # 6. A program manager revokes it with a reason; the public page now fails it.
    pm_page = browser.new_context(viewport=DESKTOP).new_page()
    login(pm_page, "pat@example.org")
    pm_page.goto(f"{live_server.url}/certification/certifications/{cert.pk}/")
    pm_page.get_by_label("Reason (kept in the history and the audit log)").fill("Falsified log")
    pm_page.get_by_role("button", name="Revoke").click()
    expect(pm_page.locator("#cert-status")).to_have_text("Revoked")
    expect(pm_page.locator("#cert-history")).to_contain_text(
        "revoked by Pat Manager: Falsified log"
    )
    screenshot(pm_page, "certification-revoked")
    public.reload()
    expect(public.locator(".alert--error")).to_contain_text("✗")
    expect(public.get_by_text(re.compile("revoked", re.I)).first).to_be_visible()
    screenshot(public, "credential-revoked-phone")
