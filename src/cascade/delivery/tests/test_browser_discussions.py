"""A learner booked on a session asks a question in its discussion and mentions the trainer; the
trainer, in a browser of their own, is told, replies, and marks the reply as the answer. On a
desktop and a phone, with accessibility checked on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cascade.delivery.models import Post, Thread
from cascade.delivery.services.enrolment import session_enrol
from cascade.delivery.services.sessions import staff_assign
from cascade.delivery.tests.factories import make_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _look(page, axe_check, screenshot, name: str) -> None:
    """Check accessibility and keep a screenshot, on a desktop and on a phone."""
    axe_check(page)
    screenshot(page, name)
    page.set_viewport_size(PHONE)
    axe_check(page)
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def test_a_learner_asks_the_trainer_and_the_trainer_answers(
    page, browser, live_server, make_person, program_manager, login, axe_check, screenshot
):
    # given a session with its trainer and a booked learner
    trainer = make_person("trainer", display_name="Tara Trainer", email="tara.trainer@example.org")
    learner = make_person("learner", display_name="Lee Learner", email="lee.learner@example.org")
    make_person("learner", display_name="Tam Outside", email="tam.outside@example.org")
    session = make_session(program_manager, title="Safe lifting, Tuesday")
    staff_assign(session=session, person=trainer, role="lead", actor=program_manager)
    session_enrol(session=session, person=learner, actor=learner)
    page.set_viewport_size(DESKTOP)
    page.set_default_timeout(10_000)

    # when the learner opens the session's discussion
    login(page, learner.email)
    page.goto(f"{live_server.url}/discussions/session/{session.pk}/")
    expect(page.get_by_role("heading", name="Discussion", level=1)).to_be_visible()
    expect(page.get_by_text("No threads yet.")).to_be_visible()
    _look(page, axe_check, screenshot, "discussions-empty")

    # and starts a question, picking the trainer from the suggestions while typing
    page.get_by_label("Title").fill("Which room are we in?")
    page.get_by_label("Question: ask").check()
    message = page.get_by_label("Message")
    message.click()
    message.press_sequentially("Hello @tar")
    suggestions = page.get_by_role("listbox", name="People you can mention")
    option = suggestions.get_by_role("option", name=re.compile("Tara Trainer"))
    expect(option).to_be_visible()
    assert suggestions.get_by_role("option", name=re.compile("Tam Outside")).count() == 0
    screenshot(page, "discussions-mention-suggestions")
    message.press("Enter")
    message.press_sequentially("which room is it, and is there parking?")
    assert message.input_value() == "Hello @tara.trainer which room is it, and is there parking?"
    page.get_by_role("button", name="Start thread").click()

    # then the thread shows the question with the mention linked
    expect(page.get_by_text("Your thread is started.")).to_be_visible()
    expect(page.get_by_role("heading", name="Which room are we in?", level=1)).to_be_visible()
    expect(page.locator("strong.mention", has_text="@tara.trainer")).to_be_visible()
    _look(page, axe_check, screenshot, "discussions-thread-asked")

    # and the list of people one can mention works as a page of its own (no script needed)
    page.get_by_role("link", name="Who can I mention?").click()
    page.get_by_label("Name or email").fill("t")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_text("@tara.trainer")).to_be_visible()
    assert page.get_by_text("Tam Outside").count() == 0
    _look(page, axe_check, screenshot, "discussions-mention-page")
    page.go_back()
    page.go_back()

    # when the trainer, in a browser of their own, follows the notification
    trainer_context = browser.new_context(viewport=DESKTOP)
    trainer_page = trainer_context.new_page()
    trainer_page.set_default_timeout(10_000)
    login(trainer_page, trainer.email)
    trainer_page.get_by_role("link", name=re.compile(r"^Notifications, \d+ unread")).click()
    trainer_page.get_by_role(
        "link", name="Lee Learner mentioned you in “Which room are we in?”"
    ).click()
    expect(trainer_page.get_by_role("heading", name="Which room are we in?")).to_be_visible()
    expect(trainer_page.get_by_role("heading", name="Moderation")).to_be_visible()

    # and replies, then marks the reply as the answer
    reply_form = trainer_page.locator("#reply")
    reply_form.get_by_label("Your reply").fill(
        "Room 4, second floor. Parking is behind the **main building**."
    )
    reply_form.get_by_role("button", name="Post").click()
    expect(trainer_page.get_by_text("Your post is up.")).to_be_visible()
    expect(trainer_page.get_by_text("main building")).to_be_visible()
    trainer_page.get_by_role("button", name=re.compile("Mark as the answer")).click()
    expect(trainer_page.get_by_text("Marked as the answer.")).to_be_visible()
    expect(trainer_page.get_by_text("Answered", exact=True)).to_be_visible()
    _look(trainer_page, axe_check, screenshot, "discussions-thread-answered")
    trainer_context.close()

    # then the learner is told and sees the answer, and the session's thread list shows it
    page.reload()
    # (enrolled, the trainer's reply, the answer)
    expect(page.get_by_role("link", name=re.compile(r"^Notifications, 3 unread"))).to_be_visible()
    expect(page.get_by_role("link", name="Go to the answer by Tara Trainer")).to_be_visible()
    page.goto(f"{live_server.url}/discussions/session/{session.pk}/")
    row = page.get_by_role("listitem").filter(has_text="Which room are we in?")
    expect(row.get_by_text("Answered")).to_be_visible()
    expect(row.get_by_text("2 posts · started by Lee Learner")).to_be_visible()
    _look(page, axe_check, screenshot, "discussions-list")
    page.goto(f"{live_server.url}/notifications/")
    assert page.get_by_role("link", name="Tara Trainer posted in “Which room are we in?”").count()
    assert page.get_by_role("link", name="“Which room are we in?” has an answer").count()
    thread = Thread.objects.get()
    assert thread.answer == Post.objects.get(author=trainer)
    assert set(thread.subscriptions.values_list("person", flat=True)) == {trainer.pk, learner.pk}
