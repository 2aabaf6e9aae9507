"""Live room pages and actions over HTTP: access per role, JSON answers and problems, the
question plan, and the WebSocket (connect, snapshot, live slices, refusal)."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings

from cascade.live.models import PlannedQuestion, RoomQuestion
from cascade.live.routing import websocket_urlpatterns
from cascade.live.tests.factories import during, running_room

pytestmark = pytest.mark.django_db


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_pages_per_role(client, program_manager):
    run = running_room(program_manager)
    pk = run.session.pk
    client.force_login(run.learners[0])
    assert client.get(f"/live/{pk}/").status_code == 200
    assert client.get(f"/live/{pk}/host/").status_code == 404
    assert client.get(f"/live/{pk}/screen/").status_code == 404
    assert client.get(f"/live/{pk}/plan/").status_code == 404
    client.force_login(run.trainer)
    for url in (f"/live/{pk}/host/", f"/live/{pk}/screen/", f"/live/{pk}/plan/", f"/live/{pk}/"):
        assert client.get(url).status_code == 200
    client.force_login(run.outsider)
    assert client.get(f"/live/{pk}/").status_code == 404
    assert client.get(f"/live/{pk}/state.json").status_code == 404
    assert _post(client, f"/live/{pk}/ask/", {"text": "hi"}).status_code == 404
    assert not RoomQuestion.objects.exists()


def test_ask_vote_and_state(client, program_manager):
    run = running_room(program_manager)
    pk = run.session.pk
    with during(run):
        client.force_login(run.learners[0])
        response = _post(client, f"/live/{pk}/ask/", {"text": "Why wait 3 s?", "anonymous": True})
        assert response.status_code == 200
        question = RoomQuestion.objects.get()
        client.force_login(run.learners[1])
        voted = _post(client, f"/live/{pk}/questions/{question.pk}/vote/", {"up": True}).json()
        assert voted["mine"]["votes"] == [question.pk]
        state = client.get(f"/live/{pk}/state.json").json()
    assert state["questions"][0]["votes"] == 1
    assert state["questions"][0]["author"] is None
    assert "participation" not in state


def test_bad_input_is_a_problem_not_a_500(client, program_manager):
    run = running_room(program_manager)
    pk = run.session.pk
    with during(run):
        client.force_login(run.learners[0])
        empty = _post(client, f"/live/{pk}/ask/", {"text": ""})
        not_json = client.post(f"/live/{pk}/ask/", "{not json", content_type="application/json")
        react = _post(client, f"/live/{pk}/react/", {"kind": "bored"})
        client.force_login(run.trainer)
        poll = _post(
            client, f"/live/{pk}/polls/new/", {"kind": "single", "prompt": "?", "options": "only"}
        )
        scale = _post(
            client, f"/live/{pk}/polls/new/", {"kind": "rating", "prompt": "?", "scale_max": "x"}
        )
        spoke = _post(client, f"/live/{pk}/spoken/", {"person": "abc"})
    assert empty.status_code == 400
    assert empty.json()["code"] == "empty"
    assert empty["Content-Type"] == "application/problem+json"
    assert not_json.status_code == 400
    assert react.status_code == 400
    assert poll.json()["code"] == "options"
    assert scale.json()["code"] == "scale"
    assert spoke.status_code == 404


def test_learners_cannot_moderate_or_run_polls(client, program_manager):
    run = running_room(program_manager)
    pk = run.session.pk
    with during(run):
        client.force_login(run.learners[0])
        _post(client, f"/live/{pk}/ask/", {"text": "Fine?"})
        question = RoomQuestion.objects.get()
        client.force_login(run.learners[1])
        assert (
            _post(
                client, f"/live/{pk}/questions/{question.pk}/moderate/", {"action": "hide"}
            ).status_code
            == 404
        )
        assert (
            _post(client, f"/live/{pk}/polls/new/", {"kind": "rating", "prompt": "?"}).status_code
            == 404
        )
        assert (
            _post(client, f"/live/{pk}/spoken/", {"person": run.learners[0].pk}).status_code == 404
        )
    question.refresh_from_db()
    assert question.status == "open"


def test_poll_flow_over_http(client, program_manager):
    run = running_room(program_manager)
    pk = run.session.pk
    with during(run):
        client.force_login(run.trainer)
        made = _post(
            client,
            f"/live/{pk}/polls/new/",
            {
                "kind": "single",
                "prompt": "Which is open?",
                "options": "Why?\nIs it?",
                "launch": True,
            },
        ).json()
        poll_id = made["poll_id"]
        for learner, choice in zip(run.learners, ["1", "0", "0"], strict=True):
            client.force_login(learner)
            assert (
                _post(client, f"/live/{pk}/polls/{poll_id}/respond/", {"value": choice}).status_code
                == 200
            )
        client.force_login(run.trainer)
        host_state = client.get(f"/live/{pk}/state.json").json()
        _post(client, f"/live/{pk}/polls/{poll_id}/", {"action": "reveal"})
        client.force_login(run.learners[0])
        learner_state = client.get(f"/live/{pk}/state.json").json()
    assert host_state["poll"]["results"]["counts"] == [2, 1]
    assert learner_state["poll"]["results"]["counts"] == [2, 1]
    assert learner_state["mine"]["answer"] == 1


def test_join_by_code(client, program_manager):
    run = running_room(program_manager)
    client.force_login(run.learners[0])
    response = client.post("/live/join/", {"code": run.room.join_code.lower()})
    assert response.status_code == 302
    assert response["Location"] == f"/live/{run.session.pk}/"
    client.force_login(run.outsider)
    page = client.post("/live/join/", {"code": run.room.join_code}).content.decode()
    assert "No room you can join has this code" in page


def test_question_plan(client, program_manager):
    run = running_room(program_manager)
    client.force_login(run.trainer)
    url = f"/live/{run.session.pk}/plan/"
    for text in [
        "What is sepsis?",
        "List the signs of sepsis.",
        "Why does early treatment matter?",
    ]:
        assert client.post(url, {"text": text}).status_code == 302
    page = client.get(url).content.decode()
    assert "Your plan: 3 questions" in page
    assert PlannedQuestion.objects.filter(session=run.session).count() == 3
    assert client.post(url, {"text": "   "}).status_code == 200
    assert PlannedQuestion.objects.count() == 3
    client.force_login(run.learners[0])
    assert client.post(url, {"text": "Sneaky?"}).status_code == 404


def _run(scenario):
    """Run an async scenario in its own thread and event loop (the browser tests' Playwright may
    hold an event loop in this thread, where async_to_sync refuses to run)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, scenario()).result()


def _app():
    return AuthMiddlewareStack(URLRouter(websocket_urlpatterns))


def _cookie_for(client, person) -> list[tuple[bytes, bytes]]:
    client.force_login(person)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
        (b"origin", b"http://testserver"),
    ]


@pytest.mark.django_db(transaction=True)
def test_websocket_snapshot_then_live_slices(client, program_manager):
    run = running_room(program_manager)
    headers_host = _cookie_for(client, run.trainer)
    learner_client = type(client)()
    learner_client.force_login(run.learners[0])

    def ask() -> None:
        _post(learner_client, f"/live/{run.session.pk}/ask/", {"text": "Live?", "anonymous": True})

    async def scenario():
        host = WebsocketCommunicator(_app(), f"/ws/live/{run.session.pk}/", headers=headers_host)
        connected, _ = await host.connect()
        assert connected
        first = await host.receive_json_from(timeout=5)
        assert first["type"] == "snapshot"
        assert "participation" in first["data"]
        await sync_to_async(ask)()
        while True:
            message = await host.receive_json_from(timeout=5)
            if message.get("slice") == "questions":
                await host.disconnect()
                return message

    with during(run):
        message = _run(scenario)
    assert message["data"][0]["text"] == "Live?"
    assert message["data"][0]["author"] == run.learners[0].display_name  # hosts see names


@pytest.mark.django_db(transaction=True)
def test_websocket_refuses_outsiders(client, program_manager):
    run = running_room(program_manager)
    headers = _cookie_for(client, run.outsider)

    async def scenario():
        ws = WebsocketCommunicator(_app(), f"/ws/live/{run.session.pk}/", headers=headers)
        connected, code = await ws.connect()
        await ws.disconnect()
        return connected, code

    connected, code = _run(scenario)
    assert connected is False
    assert code == 4403
