"""The live room in real browsers, several at once, over a real ASGI server with WebSockets:
questions and votes reach the trainer without a reload; a poll is answered by three learners and
its results appear live; the participation panel follows."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from cascade.live.tests.factories import running_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _open(browser: Any, sign_in: Any, base: str, email: str, path: str, viewport: dict) -> Any:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    sign_in(page, email)
    page.goto(base + path)
    page.get_by_text("Live", exact=True).wait_for()  # the WebSocket is connected
    return page


def test_questions_and_votes_reach_the_trainer_live(
    browser, asgi_server, sign_in, program_manager, axe_check, screenshot
):
    run = running_room(program_manager, names=["Amara Okafor", "Bruno Costa", "Chen Wei"])
    pk = run.session.pk
    host = _open(browser, sign_in, asgi_server, run.trainer.email, f"/live/{pk}/host/", DESKTOP)
    amara = _open(browser, sign_in, asgi_server, run.learners[0].email, f"/live/{pk}/", PHONE)
    bruno = _open(browser, sign_in, asgi_server, run.learners[1].email, f"/live/{pk}/", PHONE)

    amara.get_by_label("Your question").fill("How long should we wait after asking?")
    amara.get_by_label("Anonymous to the other participants").check()
    amara.get_by_role("button", name="Ask").click()

    question = bruno.locator("[data-question]").filter(has_text="How long should we wait")
    question.wait_for()
    expect(question.get_by_text("Anonymous")).to_be_visible()
    question.get_by_role("button", name="Upvote").click()
    question.get_by_role("button", name="Voted").wait_for()

    queued = host.locator("[data-question]").filter(has_text="How long should we wait")
    queued.locator(".q-votes", has_text="1").wait_for()
    expect(queued.get_by_text("Amara Okafor (anonymous to the others)")).to_be_visible()
    axe_check(bruno)
    screenshot(bruno, "live-learner-phone")
    axe_check(host)

    queued.get_by_role("button", name="Mark answered").click()
    bruno.locator("[data-question]").filter(has_text="How long").get_by_text("Answered").wait_for()
    screenshot(host, "live-host-questions")

    # Text is shown as typed, never run as markup.
    bruno.get_by_label("Your question").fill('<img src=x onerror="document.title=1"> <b>bold?</b>')
    bruno.get_by_role("button", name="Ask").click()
    host.get_by_text('<img src=x onerror="document.title=1"> <b>bold?</b>').wait_for()
    assert host.locator("#questions img").count() == 0
    assert host.title() != "1"

    # A screen that reconnects catches up: a fresh page load shows the same state.
    chen = _open(browser, sign_in, asgi_server, run.learners[2].email, f"/live/{pk}/", PHONE)
    chen.locator("[data-question]").nth(1).wait_for()
    assert chen.locator("[data-question]").count() == 2


def test_a_poll_is_answered_and_results_appear_live(
    browser, asgi_server, sign_in, program_manager, axe_check, screenshot
):
    run = running_room(
        program_manager, names=["Amara Okafor", "Bruno Costa", "Chen Wei", "Dana Levi"]
    )
    pk = run.session.pk
    host = _open(browser, sign_in, asgi_server, run.trainer.email, f"/live/{pk}/host/", DESKTOP)
    learners = [
        _open(browser, sign_in, asgi_server, p.email, f"/live/{pk}/", PHONE)
        for p in run.learners[:3]
    ]

    host.get_by_text("New poll").click()
    host.get_by_label("Kind").select_option("single")
    host.get_by_role("textbox", name="Question", exact=True).fill(
        "Which question invites thinking?"
    )
    host.get_by_label("Options (one per line)").fill(
        "Is that clear?\nWhat would you do next?\nAny questions?"
    )
    host.get_by_role("button", name="Create poll").click()

    for page, choice in zip(
        learners,
        ["What would you do next?", "What would you do next?", "Any questions?"],
        strict=True,
    ):
        page.get_by_role("heading", name="Which question invites thinking?").wait_for()
        page.get_by_text(choice).click()
        page.get_by_role("button", name="Send").click()
        page.get_by_text("Thanks, your answer is in.").wait_for()

    host.get_by_text("3 answers").wait_for()
    results = host.locator("#poll .bar")
    assert results.nth(1).inner_text().endswith("2 (67%)")
    assert results.nth(2).inner_text().endswith("1 (33%)")
    # Participation: three of four contributed; Dana has not.
    host.get_by_text("75%").wait_for()
    expect(host.locator(".person--quiet").filter(has_text="Dana Levi")).to_be_visible()
    screenshot(host, "live-host-poll")
    axe_check(host)

    # The co-facilitator logs Dana's spoken turn with one tap; the panel follows.
    host.get_by_role("button", name="Dana Levi spoke").click()
    host.get_by_text("100%").wait_for()

    # Learners see the results only once revealed.
    assert learners[0].locator("#poll .bar").count() == 0
    host.get_by_role("button", name="Show results").click()
    learners[0].locator("#poll .bar").first.wait_for()
    screenshot(learners[0], "live-learner-results-phone")

    screen = host.context.new_page()
    screen.goto(f"{asgi_server}/live/{pk}/screen/")
    screen.get_by_role("heading", name="Which question invites thinking?").wait_for()
    assert "Amara" not in screen.content()
    screenshot(screen, "live-projector")


def test_without_websockets_the_page_refreshes_itself(
    browser, asgi_server, sign_in, program_manager
):
    run = running_room(program_manager, names=["Amara Okafor", "Bruno Costa"])
    pk = run.session.pk
    blocked = browser.new_context(viewport=PHONE)
    blocked.add_init_script("delete window.WebSocket;")  # as behind a proxy that drops them
    page = blocked.new_page()
    sign_in(page, run.learners[0].email)
    page.goto(f"{asgi_server}/live/{pk}/")
    page.get_by_text("Updating every few seconds").wait_for()

    bruno = _open(browser, sign_in, asgi_server, run.learners[1].email, f"/live/{pk}/", PHONE)
    bruno.get_by_label("Your question").fill("Can we get the slides?")
    bruno.get_by_role("button", name="Ask").click()

    page.locator("[data-question]").filter(has_text="Can we get the slides?").wait_for(
        timeout=15000
    )
