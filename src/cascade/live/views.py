"""Live room pages and actions.

The pages are shells that ``live.js`` fills from the room's state (a snapshot over the
WebSocket, then changed slices; or polling ``state.json`` when WebSockets are blocked). The
actions are small POST endpoints answering JSON: ``{"ok": true, "mine": ...}`` or an RFC 9457
problem with a 4xx status.
"""

from __future__ import annotations

import io
import json
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cascade.core.errors import ApplicationError, problem
from cascade.delivery import selectors as delivery_selectors
from cascade.live import access, coach, rules, selectors, services
from cascade.live.models import PlannedQuestion, PollKind, ReactionKind, Room
from cascade.people.models import Person


def _viewer(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


def _problem(exc: ApplicationError) -> JsonResponse:
    return JsonResponse(
        problem(status=exc.status, code=exc.code, title=exc.message),
        status=exc.status,
        content_type="application/problem+json",
    )


def _ok(room: Room, person: Person, **extra: Any) -> JsonResponse:
    return JsonResponse({"ok": True, "mine": selectors.mine(room, person), **extra})


def _payload(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return dict(request.POST.items())


# --- Pages ----------------------------------------------------------------------------------


def _texts() -> dict[str, str]:
    """The words live.js shows, translated on the server."""
    return {
        "live": _("Live"),
        "reconnecting": _("Reconnecting…"),
        "polling": _("Updating every few seconds"),
        "failed": _("That did not work; try again."),
        "anonymous": _("Anonymous"),
        "anonymous_to_peers": _("%(name)s (anonymous to the others)"),
        "pinned": _("Pinned"),
        "answered": _("Answered"),
        "hidden": _("Hidden"),
        "votes": _("%(n)s votes"),
        "voted": _("Voted"),
        "upvote": _("Upvote"),
        "reopen": _("Reopen"),
        "mark_answered": _("Mark answered"),
        "pin": _("Pin"),
        "unpin": _("Unpin"),
        "hide": _("Hide"),
        "no_questions": _("No questions yet."),
        "before_after": _("Average before: %(before)s · after: %(after)s"),
        "mean": _("Average: %(mean)s"),
        "scale_hint": _("1 = not at all, %(max)s = completely"),
        "one_word": _("One word (or up to three)"),
        "your_answer": _("Your answer"),
        "send": _("Send"),
        "choose_first": _("Choose an answer first."),
        "no_poll": _("No poll on screen."),
        "responses": _("%(n)s answers"),
        "closed": _("closed"),
        "answered_thanks": _("Thanks, your answer is in."),
        "waiting_results": _("The trainer will show the results."),
        "contributed_of": _(
            "%(n)s of %(total)s enrolled have contributed; %(present)s are in the room."
        ),
        "spoke": _("Spoke"),
        "spoke_label": _("%(name)s spoke"),
        "here": _("in the room"),
        "not_here": _("not joined"),
        "contributions": _("%(n)s contributions"),
        "asked": _("Your question is in."),
        "reacted": _("Thanks, the trainer sees it."),
        "react_wait": _("Already sent; the trainer sees it."),
        "close_poll": _("Close"),
        "launch": _("Launch"),
        "reveal": _("Show results"),
        "hide_results": _("Hide results"),
    }


def _page(request: HttpRequest, template: str, session: Any, room: Room, view: str) -> HttpResponse:
    return render(
        request,
        template,
        {
            "session": session,
            "room": room,
            "view": view,
            "is_open": rules.room_is_open(room),
            "reactions": ReactionKind.choices,
            "poll_kinds": PollKind.choices,
            "is_host": rules.can_host(_viewer(request), session),
            "i18n": _texts(),
        },
    )


@login_required
def room(request: HttpRequest, session_pk: int) -> HttpResponse:
    """The learner's phone-first page: ask, vote, answer polls, react."""
    session, the_room = access.session_to_join(_viewer(request), session_pk)
    return _page(request, "live/room.html", session, the_room, "learner")


@login_required
def host(request: HttpRequest, session_pk: int) -> HttpResponse:
    """The facilitator's view: the queue, polls, pace and participation."""
    session, the_room = access.session_to_host(_viewer(request), session_pk)
    return _page(request, "live/host.html", session, the_room, "host")


@login_required
def screen(request: HttpRequest, session_pk: int) -> HttpResponse:
    """The projector: questions and revealed results, never a name."""
    session, the_room = access.session_to_host(_viewer(request), session_pk)
    return _page(request, "live/screen.html", session, the_room, "screen")


@require_GET
@login_required
def qr(request: HttpRequest, session_pk: int) -> HttpResponse:
    """An SVG QR code of the room's join address, for the projector."""
    _session, the_room = access.session_to_host(_viewer(request), session_pk)
    url = request.build_absolute_uri(reverse("live:join") + f"?code={the_room.join_code}")
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
def state(request: HttpRequest, session_pk: int) -> JsonResponse:
    """The room's state for this viewer (the polling fallback and tests use it)."""
    viewer = _viewer(request)
    session, the_room = access.session_to_join(viewer, session_pk)
    as_host = rules.can_host(viewer, session) and request.GET.get("view") != "screen"
    data = selectors.snapshot(the_room, viewer, host=as_host)
    if request.GET.get("view") == "screen":
        data.pop("mine", None)
    return JsonResponse(data)


@login_required
def join(request: HttpRequest) -> HttpResponse:
    """Join by the room code shown on the projector."""
    code = (request.POST.get("code") or request.GET.get("code") or "").strip().upper()
    error = ""
    if code:
        found = Room.objects.select_related("session").filter(join_code=code).first()
        if found is not None and rules.can_join(_viewer(request), found.session):
            return redirect("live:room", found.session_id)
        error = _("No room you can join has this code. Check it on the screen.")
    return render(request, "live/join.html", {"code": code, "error": error})


# --- Learner actions ------------------------------------------------------------------------


@require_POST
@login_required
def ask(request: HttpRequest, session_pk: int) -> JsonResponse:
    viewer = _viewer(request)
    _session, the_room = access.session_to_join(viewer, session_pk)
    data = _payload(request)
    try:
        services.question_ask(
            room=the_room,
            person=viewer,
            text=str(data.get("text", "")),
            anonymous=str(data.get("anonymous", "")).lower() in ("1", "true", "on", "yes"),
        )
    except ApplicationError as exc:
        return _problem(exc)
    return _ok(the_room, viewer)


@require_POST
@login_required
def vote(request: HttpRequest, session_pk: int, question_pk: int) -> JsonResponse:
    viewer = _viewer(request)
    _session, the_room = access.session_to_join(viewer, session_pk)
    question = access.question_in(the_room, question_pk)
    up = str(_payload(request).get("up", "1")).lower() not in ("0", "false", "no")
    try:
        services.question_vote(question=question, person=viewer, up=up)
    except ApplicationError as exc:
        return _problem(exc)
    return _ok(the_room, viewer)


@require_POST
@login_required
def respond(request: HttpRequest, session_pk: int, poll_pk: int) -> JsonResponse:
    viewer = _viewer(request)
    _session, the_room = access.session_to_join(viewer, session_pk)
    poll = access.poll_in(the_room, poll_pk)
    value = _payload(request).get("value")
    if isinstance(value, str) and poll.kind not in (PollKind.WORD_CLOUD, PollKind.OPEN_TEXT):
        value = int(value) if value.strip().isdigit() else value
    try:
        services.poll_respond(poll=poll, person=viewer, value=value)
    except ApplicationError as exc:
        return _problem(exc)
    return _ok(the_room, viewer)


@require_POST
@login_required
def react(request: HttpRequest, session_pk: int) -> JsonResponse:
    viewer = _viewer(request)
    _session, the_room = access.session_to_join(viewer, session_pk)
    try:
        counted = services.reaction_send(
            room=the_room, person=viewer, kind=str(_payload(request).get("kind", ""))
        )
    except ApplicationError as exc:
        return _problem(exc)
    return _ok(the_room, viewer, counted=counted)


# --- Host actions -----------------------------------------------------------------------------


@require_POST
@login_required
def moderate(request: HttpRequest, session_pk: int, question_pk: int) -> JsonResponse:
    viewer = _viewer(request)
    _session, the_room = access.session_to_host(viewer, session_pk)
    question = access.question_in(the_room, question_pk)
    try:
        services.question_moderate(
            question=question, actor=viewer, action=str(_payload(request).get("action", ""))
        )
    except ApplicationError as exc:
        return _problem(exc)
    return _ok(the_room, viewer)


@require_POST
@login_required
def poll_new(request: HttpRequest, session_pk: int) -> JsonResponse:
    viewer = _viewer(request)
    _session, the_room = access.session_to_host(viewer, session_pk)
    data = _payload(request)
    options = data.get("options", [])
    if isinstance(options, str):
        options = [line for line in options.splitlines() if line.strip()]
    before = None
    if data.get("before"):
        try:
            before = access.poll_in(the_room, int(data["before"]))
        except (TypeError, ValueError, Http404):
            return _problem(ApplicationError(_("Unknown poll to pair with."), code="pair"))
    try:
        scale = int(data.get("scale_max") or 5)
        poll = services.poll_create(
            room=the_room,
            actor=viewer,
            kind=str(data.get("kind", "")),
            prompt=str(data.get("prompt", "")),
            options=[str(o) for o in options] if isinstance(options, list) else [],
            scale_max=scale,
            before=before,
        )
        if str(data.get("launch", "")).lower() in ("1", "true", "on"):
            services.poll_launch(poll=poll, actor=viewer)
    except ValueError:
        return _problem(ApplicationError(_("The scale must be a number."), code="scale"))
    except ApplicationError as exc:
        return _problem(exc)
    return _ok(the_room, viewer, poll_id=poll.pk, polls=_polls(the_room))


def _polls(room: Room) -> list[dict[str, Any]]:
    return [
        {"id": p.pk, "prompt": p.prompt, "kind": p.kind, "status": p.status, "revealed": p.revealed}
        for p in room.polls.all()
    ]


@require_GET
@login_required
def polls(request: HttpRequest, session_pk: int) -> JsonResponse:
    viewer = _viewer(request)
    _session, the_room = access.session_to_host(viewer, session_pk)
    return JsonResponse({"polls": _polls(the_room)})


@require_POST
@login_required
def poll_action(request: HttpRequest, session_pk: int, poll_pk: int) -> JsonResponse:
    viewer = _viewer(request)
    _session, the_room = access.session_to_host(viewer, session_pk)
    poll = access.poll_in(the_room, poll_pk)
    action = str(_payload(request).get("action", ""))
    try:
        if action == "launch":
            services.poll_launch(poll=poll, actor=viewer)
        elif action == "close":
            services.poll_close(poll=poll, actor=viewer)
        elif action in ("reveal", "hide"):
            services.poll_close(poll=poll, actor=viewer, reveal=action == "reveal")
        else:
            raise ApplicationError(_("Unknown action."), code="invalid_action")
    except ApplicationError as exc:
        return _problem(exc)
    return _ok(the_room, viewer, polls=_polls(the_room))


@require_POST
@login_required
def spoken(request: HttpRequest, session_pk: int) -> JsonResponse:
    viewer = _viewer(request)
    session, the_room = access.session_to_host(viewer, session_pk)
    try:
        person_pk = int(_payload(request).get("person", 0))
    except (TypeError, ValueError):
        person_pk = 0
    person = Person.objects.filter(pk=person_pk).first()
    if person is None or not rules.can_join(person, session):
        return _problem(
            ApplicationError(
                _("This person is not a participant."), code="not_participant", status=404
            )
        )
    try:
        services.spoken_turn_log(room=the_room, person=person, actor=viewer)
    except ApplicationError as exc:
        return _problem(exc)
    return _ok(the_room, viewer)


@require_POST
@login_required
def close(request: HttpRequest, session_pk: int) -> HttpResponse:
    viewer = _viewer(request)
    _session, the_room = access.session_to_host(viewer, session_pk)
    reopen = request.POST.get("reopen") == "1"
    services.room_close(room=the_room, actor=viewer, closed=not reopen)
    messages.success(request, _("The room is open again.") if reopen else _("The room is closed."))
    return redirect("live:host", session_pk)


# --- Question coach ---------------------------------------------------------------------------


@login_required
def plan(request: HttpRequest, session_pk: int) -> HttpResponse:
    """The trainer's planned questions, each classified, with a summary and advice."""
    viewer = _viewer(request)
    session = delivery_selectors.session_detail(session_pk)
    if session is None or not rules.can_host(viewer, session):
        raise Http404
    error = ""
    if request.method == "POST":
        remove = request.POST.get("remove")
        if remove:
            doomed = PlannedQuestion.objects.filter(pk=remove, session=session).first()
            if doomed is None:
                raise Http404
            services.planned_question_remove(question=doomed, actor=viewer)
            return redirect("live:plan", session_pk)
        try:
            services.planned_question_add(
                session=session, actor=viewer, text=request.POST.get("text", "")
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            return redirect("live:plan", session_pk)
    planned = list(session.planned_questions.all())
    classified = [coach.classify(q.text) for q in planned]
    summary = coach.plan_summary(classified)
    return render(
        request,
        "live/plan.html",
        {
            "session": session,
            "rows": list(zip(planned, classified, strict=True)),
            "summary": summary,
            "error": error,
            "text": request.POST.get("text", "") if error else "",
        },
    )
