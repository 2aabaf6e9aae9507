"""A program manager builds a small program in the browser: a lesson and a quiz with two bank
questions, reorders it, previews it as a candidate, publishes it, then starts version 2."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cascade.learning.models import Program, Step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _look(page, axe_check, screenshot, name: str, *, phone: bool = False) -> None:
    """Check accessibility and keep a screenshot (and a phone one when asked)."""
    axe_check(page)
    screenshot(page, name)
    if phone:
        page.set_viewport_size(PHONE)
        axe_check(page)
        screenshot(page, f"{name}-phone")
        page.set_viewport_size(DESKTOP)


def _step_titles(program: Program) -> list[str]:
    version = program.versions.get(status="draft")
    return list(
        Step.objects.filter(version=version).order_by("position").values_list("title", flat=True)
    )


def test_program_manager_builds_previews_publishes_and_starts_v2(
    page, live_server, make_person, login, axe_check, screenshot
):
    # given a program manager with no programs yet
    pm = make_person("program_manager", email="pm@example.org", display_name="Pat Manager")
    page.set_viewport_size(DESKTOP)
    page.set_default_timeout(10_000)
    login(page, pm.email)
    page.goto(f"{live_server.url}/programs/")
    expect(page.get_by_role("heading", name="No programs yet")).to_be_visible()
    _look(page, axe_check, screenshot, "builder-programs-empty")

    # when they create a program (the short name is suggested from the title)
    page.get_by_role("link", name="New program").first.click()
    page.get_by_role("textbox", name="Title", exact=True).fill("Giving feedback")
    assert page.get_by_label("Short name").input_value() == "giving-feedback"
    page.get_by_label("Summary").fill("How to give feedback that helps people grow.")
    _look(page, axe_check, screenshot, "builder-program-new", phone=True)
    page.get_by_role("button", name="Create the program").click()
    program = Program.objects.get(slug="giving-feedback")
    assert page.url == f"{live_server.url}/programs/{program.pk}/draft/"
    _look(page, axe_check, screenshot, "builder-draft-empty")

    # and add a lesson
    page.get_by_role("link", name=re.compile(r"^Lesson ")).click()
    page.get_by_role("textbox", name="Title", exact=True).fill("The feedback sandwich")
    page.get_by_label("Lesson text").fill(
        "# Why it works\n\nStart with **what went well**, then what to change.\n\n- Be specific"
    )
    page.get_by_label("Module").fill("Week 1: Feedback basics")
    page.get_by_label("Due (days after the cohort starts)").fill("7")
    _look(page, axe_check, screenshot, "builder-step-lesson", phone=True)
    page.get_by_role("button", name="Add the step").click()
    expect(page.get_by_role("link", name="The feedback sandwich", exact=True)).to_be_visible()

    # and two questions in the bank
    page.get_by_role("navigation", name="This program").get_by_role(
        "link", name="Question bank"
    ).click()
    page.get_by_role("link", name="Add a question").first.click()
    page.get_by_role("link", name=re.compile(r"^Single choice")).click()
    page.get_by_role("textbox", name="Question", exact=True).fill(
        "Which comes first in a sandwich?"
    )
    page.get_by_label("Option 1", exact=True).fill("What went well")
    page.get_by_label("Correct (Option 1)").check()
    page.get_by_label("Option 2", exact=True).fill("What to change")
    page.get_by_label("Feedback (Option 2)").fill("Start with the positive.")
    page.get_by_label("Topic").fill("feedback")
    page.get_by_label("Bloom level").select_option("remember")
    _look(page, axe_check, screenshot, "builder-question-single", phone=True)
    page.get_by_role("button", name="Save the question").click()
    page.get_by_role("link", name="Add a question").first.click()
    page.get_by_role("link", name=re.compile(r"^True or false")).click()
    page.get_by_role("textbox", name="Question", exact=True).fill("Feedback should be vague.")
    page.get_by_role("group", name="The statement is").get_by_label("False").check()
    page.get_by_role("button", name="Save the question").click()
    expect(page.get_by_role("link", name="Feedback should be vague.", exact=True)).to_be_visible()
    _look(page, axe_check, screenshot, "builder-question-bank")

    # and a quiz that uses both questions
    page.get_by_role("navigation", name="This program").get_by_role("link", name="Steps").click()
    page.get_by_role("link", name=re.compile(r"^Quiz ")).click()
    page.get_by_role("textbox", name="Title", exact=True).fill("Check: feedback")
    page.get_by_label("Pass mark (%)").fill("50")
    page.get_by_label("Which comes first in a sandwich?").check()
    page.get_by_label("Feedback should be vague.").check()
    page.get_by_label("Position of question 1").fill("2")
    page.get_by_label("Position of question 2").fill("1")
    page.get_by_label("Module", exact=True).select_option(label="Week 1: Feedback basics")
    page.get_by_label("The feedback sandwich").check()  # opens after the lesson
    _look(page, axe_check, screenshot, "builder-step-quiz", phone=True)
    page.get_by_role("button", name="Add the step").click()
    assert _step_titles(program) == ["The feedback sandwich", "Check: feedback"]
    _look(page, axe_check, screenshot, "builder-draft", phone=True)

    # and moves the quiz up with the arrow button (no script needed) ...
    page.get_by_role("button", name="Move “Check: feedback” up").click()
    page.wait_for_load_state("networkidle")
    assert _step_titles(program) == ["Check: feedback", "The feedback sandwich"]
    expect(page.get_by_text("One “open only after” link pointed to a later step")).to_be_visible()
    # ... and back down by dragging the lesson above it
    lesson = page.locator("li.step-row", has_text="The feedback sandwich")
    quiz = page.locator("li.step-row", has_text="Check: feedback")
    with page.expect_navigation():
        lesson.locator(".drag-handle").drag_to(quiz, target_position={"x": 40, "y": 5})
    assert _step_titles(program) == ["The feedback sandwich", "Check: feedback"]
    assert page.locator("li.step-row .step-row__title").all_inner_texts() == [
        "The feedback sandwich",
        "Check: feedback",
    ]

    # when they preview it as a candidate
    page.get_by_role("navigation", name="This program").get_by_role("link", name="Preview").click()
    expect(page.get_by_role("heading", name="Why it works")).to_be_visible()
    expect(page.get_by_text("Which comes first in a sandwich?")).to_be_visible()
    assert page.get_by_text("Start with the positive.").count() == 0  # no feedback shown
    _look(page, axe_check, screenshot, "builder-preview", phone=True)

    # and publish it
    page.get_by_role("navigation", name="This program").get_by_role("link", name="Steps").click()
    page.get_by_label("What changed in this version").fill("First version")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text("Version 1 is published.")).to_be_visible()
    versions = page.locator("table").first
    assert versions.locator(".badge--ok").inner_text() == "Published"
    expect(versions.get_by_text("First version")).to_be_visible()
    _look(page, axe_check, screenshot, "builder-program-published", phone=True)

    # then editing it starts a v2 draft while v1 stays published
    page.get_by_role("button", name="Edit (start a new draft)").click()
    assert page.get_by_text(
        "Version 2 is a new draft copied from the published version."
    ).is_visible()
    expect(page.get_by_text("Draft v2").first).to_be_visible()
    assert list(program.versions.values_list("number", "status")) == [
        (2, "draft"),
        (1, "published"),
    ]
    _look(page, axe_check, screenshot, "builder-draft-v2")
    page.get_by_role("navigation", name="This program").get_by_role("link", name="Overview").click()
    _look(page, axe_check, screenshot, "builder-program-v2")

    # and the list shows both states
    page.goto(f"{live_server.url}/programs/")
    expect(page.get_by_text("Published v1")).to_be_visible()
    expect(page.get_by_text("Draft v2")).to_be_visible()
    _look(page, axe_check, screenshot, "builder-programs", phone=True)


def test_an_unpublishable_draft_and_a_bad_question_show_their_errors(
    page, live_server, make_person, login, axe_check, screenshot
):
    # given a program with an empty quiz
    from cascade.learning.services import programs as svc

    pm = make_person("program_manager", email="pm2@example.org")
    program = svc.program_create(title="Coaching", slug="coaching", actor=pm)
    version = svc.draft_version(program)
    svc.step_create(version=version, kind="quiz", title="Empty quiz")
    page.set_viewport_size(DESKTOP)
    page.set_default_timeout(10_000)
    login(page, pm.email)

    # when they try to publish
    page.goto(f"{live_server.url}/programs/{program.pk}/draft/")
    page.get_by_role("button", name="Publish", exact=True).click()

    # then the problems are shown
    alert = page.get_by_role("alert")
    expect(alert.get_by_text("Version 1 was not published.")).to_be_visible()
    expect(alert.get_by_text("The quiz “Empty quiz” has no questions.")).to_be_visible()
    _look(page, axe_check, screenshot, "builder-publish-refused")

    # and a single-choice question with two right answers shows its error in place
    page.goto(f"{live_server.url}/programs/{program.pk}/questions/new/?kind=single")
    page.get_by_role("textbox", name="Question", exact=True).fill("Which?")
    page.get_by_label("Option 1", exact=True).fill("A")
    page.get_by_label("Correct (Option 1)").check()
    page.get_by_label("Option 2", exact=True).fill("B")
    page.get_by_label("Correct (Option 2)").check()
    page.get_by_role("button", name="Save the question").click()
    expect(page.get_by_text("Exactly one option must be correct.")).to_be_visible()
    _look(page, axe_check, screenshot, "builder-question-error", phone=True)
