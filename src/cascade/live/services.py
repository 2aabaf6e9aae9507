"""Writes of the live room: questions and votes, polls and responses, reactions, spoken turns,
the room itself and the trainer's planned questions.

Each write that others must see publishes the changed slice of the room's state after commit
(:mod:`cascade.live.realtime`). Posting and voting are rate limited per person (Django's cache:
per process by default, shared through Redis when ``REDIS_URL`` is set).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cascade.core.errors import ApplicationError
from cascade.delivery.models import Session
from cascade.live import coach, realtime, rules
from cascade.live.models import (
    Contribution,
    ContributionKind,
    PlannedQuestion,
    Poll,
    PollKind,
    PollResponse,
    Presence,
    QuestionVote,
    Reaction,
    ReactionKind,
    Room,
    RoomQuestion,
)
from cascade.people.models import Person

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
QUESTION_MAX = 500
QUESTIONS_PER_MINUTE = 5
VOTES_PER_MINUTE = 60
RESPONSES_PER_MINUTE = 30
REACTION_EVERY_SECONDS = 10
WORDS_MAX = 3  # a word-cloud answer: a few words
TEXT_ANSWER_MAX = 300
OPTIONS_MAX = 10


def _limit(key: str, *, limit: int, window: int, message: str) -> None:
    """Count one more action under ``key``; refuse past ``limit`` per ``window`` seconds."""
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    if count > limit:
        raise ApplicationError(message, code="rate_limited", status=429)


def _check_open(room: Room) -> None:
    if not rules.room_is_open(room):
        raise ApplicationError(
            _("The live room is closed: it opens shortly before the session starts."),
            code="room_closed",
        )


def _contribute(room: Room, person: Person, kind: str, *, by: Person | None = None) -> None:
    Contribution.objects.create(room=room, person=person, kind=kind, logged_by=by)


# --- The room -------------------------------------------------------------------------------


def room_for(session: Session) -> Room:
    """The session's room, made on first use (race-safe: one per session)."""
    room = Room.objects.select_related("session").filter(session=session).first()
    if room is not None:
        return room
    for _attempt in range(5):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        try:
            with transaction.atomic():
                room, _created = Room.objects.get_or_create(
                    session=session, defaults={"join_code": code}
                )
            return Room.objects.select_related("session").get(pk=room.pk)
        except IntegrityError:
            existing = Room.objects.select_related("session").filter(session=session).first()
            if existing is not None:
                return existing
    raise ApplicationError(_("Could not open the room; try again."), code="room_code")


def room_close(*, room: Room, actor: Person, closed: bool = True) -> Room:
    """End the room early (or reopen it); everything in it is kept."""
    room.closed_at = timezone.now() if closed else None
    room.save(update_fields=["closed_at"])
    realtime.publish_room(room)
    return room


def presence_touch(*, room: Room, person: Person) -> None:
    """Note that the person is in the room (for "who has not contributed yet")."""
    presence, created = Presence.objects.get_or_create(room=room, person=person)
    if not created:
        Presence.objects.filter(pk=presence.pk).update(last_seen_at=timezone.now())
    elif not rules.can_host(person, room.session):
        realtime.publish_participation(room)


# --- Questions ------------------------------------------------------------------------------


@transaction.atomic
def question_ask(*, room: Room, person: Person, text: str, anonymous: bool) -> RoomQuestion:
    """A learner's question, optionally anonymous to the other learners."""
    _check_open(room)
    text = (text or "").strip()
    if not text:
        raise ApplicationError(
            _("Type your question first."), code="empty", extra={"field": "text"}
        )
    if len(text) > QUESTION_MAX:
        raise ApplicationError(
            _("Keep it under %(n)s characters.") % {"n": QUESTION_MAX},
            code="too_long",
            extra={"field": "text"},
        )
    _limit(
        f"live-ask:{room.pk}:{person.pk}",
        limit=QUESTIONS_PER_MINUTE,
        window=60,
        message=_("You have asked %(n)s questions in a minute; wait a moment.")
        % {"n": QUESTIONS_PER_MINUTE},
    )
    question = RoomQuestion.objects.create(room=room, author=person, anonymous=anonymous, text=text)
    _contribute(room, person, ContributionKind.QUESTION)
    realtime.publish_questions(room)
    realtime.publish_participation(room)
    return question


def question_vote(*, question: RoomQuestion, person: Person, up: bool = True) -> bool:
    """Upvote (or take back a vote). One vote per person per question, even from two tabs at
    once: the unique row decides, and the counter moves only when the row changed."""
    room = question.room
    _check_open(room)
    if question.author_id == person.pk:
        raise ApplicationError(_("You cannot vote for your own question."), code="own_question")
    if question.status == RoomQuestion.Status.HIDDEN:
        raise ApplicationError(_("This question was removed."), code="hidden", status=404)
    _limit(
        f"live-vote:{room.pk}:{person.pk}",
        limit=VOTES_PER_MINUTE,
        window=60,
        message=_("Too many votes in a minute; wait a moment."),
    )
    changed = False
    with transaction.atomic():
        if up:
            try:
                with transaction.atomic():
                    QuestionVote.objects.create(question=question, person=person)
            except IntegrityError:
                return False
            RoomQuestion.objects.filter(pk=question.pk).update(vote_count=F("vote_count") + 1)
            changed = True
        else:
            deleted, _rows = QuestionVote.objects.filter(question=question, person=person).delete()
            if deleted:
                RoomQuestion.objects.filter(pk=question.pk, vote_count__gt=0).update(
                    vote_count=F("vote_count") - 1
                )
                changed = True
        if changed:
            realtime.publish_questions(room)
    return changed


@transaction.atomic
def question_moderate(*, question: RoomQuestion, actor: Person, action: str) -> RoomQuestion:
    """answer / reopen / hide / pin / unpin, by the people who host the room."""
    now = timezone.now()
    if action == "answer":
        question.status, question.answered_at = RoomQuestion.Status.ANSWERED, now
    elif action == "reopen":
        question.status, question.answered_at = RoomQuestion.Status.OPEN, None
    elif action == "hide":
        question.status, question.pinned = RoomQuestion.Status.HIDDEN, False
    elif action in ("pin", "unpin"):
        question.pinned = action == "pin"
    else:
        raise ApplicationError(_("Unknown action."), code="invalid_action")
    question.save(update_fields=["status", "answered_at", "pinned"])
    realtime.publish_questions(question.room)
    return question


# --- Polls ----------------------------------------------------------------------------------


def _clean_options(kind: str, options: list[str]) -> list[str]:
    cleaned = [o.strip()[:120] for o in options if o and o.strip()]
    if kind in (PollKind.SINGLE, PollKind.MULTIPLE):
        if len(cleaned) < 2:
            raise ApplicationError(
                _("Give at least two options."), code="options", extra={"field": "options"}
            )
        if len(cleaned) > OPTIONS_MAX:
            raise ApplicationError(
                _("At most %(n)s options.") % {"n": OPTIONS_MAX},
                code="options",
                extra={"field": "options"},
            )
        if len({o.lower() for o in cleaned}) != len(cleaned):
            raise ApplicationError(
                _("Two options are the same."), code="options", extra={"field": "options"}
            )
        return cleaned
    return []


@transaction.atomic
def poll_create(
    *,
    room: Room,
    actor: Person,
    kind: str,
    prompt: str,
    options: list[str] | None = None,
    scale_max: int = 5,
    before: Poll | None = None,
) -> Poll:
    """A poll ready to launch (prepared before the session, or written on the spot)."""
    if kind not in PollKind.values:
        raise ApplicationError(_("Unknown kind of poll."), code="invalid_kind")
    prompt = (prompt or "").strip()
    if not prompt:
        raise ApplicationError(_("Write the question."), code="empty", extra={"field": "prompt"})
    if kind in (PollKind.RATING, PollKind.CONFIDENCE) and not 2 <= scale_max <= 10:
        raise ApplicationError(_("A scale goes from 1 to between 2 and 10."), code="scale")
    if before is not None and (before.room_id != room.pk or before.kind != PollKind.CONFIDENCE):
        raise ApplicationError(_("Pair it with a confidence poll of this room."), code="pair")
    poll = Poll.objects.create(
        room=room,
        kind=kind,
        prompt=prompt[:300],
        options=_clean_options(kind, options or []),
        scale_max=scale_max if kind in (PollKind.RATING, PollKind.CONFIDENCE) else 0,
        before=before if kind == PollKind.CONFIDENCE else None,
        created_by=actor,
        position=room.polls.count(),
    )
    return poll


@transaction.atomic
def poll_launch(*, poll: Poll, actor: Person) -> Poll:
    """Open the poll on every screen (closing the one that was open)."""
    room = Room.objects.select_for_update().select_related("session").get(pk=poll.room_id)
    _check_open(room)
    Poll.objects.filter(room=room, status=Poll.Status.OPEN).exclude(pk=poll.pk).update(
        status=Poll.Status.CLOSED, closed_at=timezone.now()
    )
    poll.status = Poll.Status.OPEN
    poll.opened_at = poll.opened_at or timezone.now()
    poll.closed_at = None
    poll.save(update_fields=["status", "opened_at", "closed_at"])
    room.current_poll = poll
    room.save(update_fields=["current_poll"])
    realtime.publish_poll(room)
    return poll


@transaction.atomic
def poll_close(*, poll: Poll, actor: Person, reveal: bool | None = None) -> Poll:
    """Stop taking answers; ``reveal`` shows (or hides) the results on learners' screens."""
    if poll.status == Poll.Status.OPEN:
        poll.status = Poll.Status.CLOSED
        poll.closed_at = timezone.now()
    if reveal is not None:
        poll.revealed = reveal
    poll.save(update_fields=["status", "closed_at", "revealed"])
    realtime.publish_poll(poll.room)
    return poll


def _clean_value(poll: Poll, value: Any) -> Any:
    invalid = ApplicationError(_("That is not an answer to this poll."), code="invalid_answer")
    if poll.kind == PollKind.SINGLE:
        if not isinstance(value, int) or not 0 <= value < len(poll.options):
            raise invalid
        return value
    if poll.kind == PollKind.MULTIPLE:
        if not isinstance(value, list) or not value:
            raise invalid
        chosen = sorted(set(value))
        if not all(isinstance(v, int) and 0 <= v < len(poll.options) for v in chosen):
            raise invalid
        return chosen
    if poll.kind in (PollKind.RATING, PollKind.CONFIDENCE):
        if not isinstance(value, int) or not 1 <= value <= poll.scale_max:
            raise invalid
        return value
    if not isinstance(value, str) or not value.strip():
        raise ApplicationError(_("Type an answer first."), code="empty")
    text = " ".join(value.split())
    if poll.kind == PollKind.WORD_CLOUD:
        if len(text.split()) > WORDS_MAX or len(text) > 40:
            raise ApplicationError(
                _("A word cloud takes one to %(n)s words.") % {"n": WORDS_MAX}, code="too_long"
            )
        return text.lower()
    if len(text) > TEXT_ANSWER_MAX:
        raise ApplicationError(
            _("Keep it under %(n)s characters.") % {"n": TEXT_ANSWER_MAX}, code="too_long"
        )
    return text


def poll_respond(*, poll: Poll, person: Person, value: Any) -> PollResponse:
    """Answer the open poll (answering again replaces the answer while it is open)."""
    room = poll.room
    _check_open(room)
    if poll.status != Poll.Status.OPEN:
        raise ApplicationError(_("This poll is closed."), code="poll_closed")
    cleaned = _clean_value(poll, value)
    _limit(
        f"live-respond:{room.pk}:{person.pk}",
        limit=RESPONSES_PER_MINUTE,
        window=60,
        message=_("Too many answers in a minute; wait a moment."),
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                response = PollResponse.objects.create(poll=poll, person=person, value=cleaned)
            _contribute(room, person, ContributionKind.POLL)
            first = True
        except IntegrityError:
            response = PollResponse.objects.get(poll=poll, person=person)
            response.value = cleaned
            response.save(update_fields=["value", "updated_at"])
            first = False
        realtime.publish_poll_results(poll)
        if first:
            realtime.publish_participation(room)
    return response


# --- Reactions and spoken turns ---------------------------------------------------------------


def reaction_send(*, room: Room, person: Person, kind: str) -> bool:
    """A pace signal; at most one of each kind per person every few seconds (False: ignored)."""
    _check_open(room)
    if kind not in ReactionKind.values:
        raise ApplicationError(_("Unknown reaction."), code="invalid_reaction")
    if not cache.add(f"live-react:{room.pk}:{person.pk}:{kind}", 1, timeout=REACTION_EVERY_SECONDS):
        return False
    with transaction.atomic():
        Reaction.objects.create(room=room, person=person, kind=kind)
        realtime.publish_pace(room)
    return True


@transaction.atomic
def spoken_turn_log(*, room: Room, person: Person, actor: Person) -> Contribution:
    """The co-facilitator's one tap: this person spoke."""
    _check_open(room)
    if not rules.can_join(person, room.session) or rules.can_host(person, room.session):
        raise ApplicationError(_("This person is not a participant."), code="not_participant")
    contribution = Contribution.objects.create(
        room=room, person=person, kind=ContributionKind.SPOKEN, logged_by=actor
    )
    realtime.publish_participation(room)
    return contribution


# --- Question coach -------------------------------------------------------------------------


@transaction.atomic
def planned_question_add(*, session: Session, actor: Person, text: str) -> PlannedQuestion:
    """Add a question to the trainer's plan, classified by the coach."""
    text = " ".join((text or "").split())
    if not text:
        raise ApplicationError(_("Write the question."), code="empty", extra={"field": "text"})
    if len(text) > QUESTION_MAX:
        raise ApplicationError(
            _("Keep it under %(n)s characters.") % {"n": QUESTION_MAX},
            code="too_long",
            extra={"field": "text"},
        )
    result = coach.classify(text)
    return PlannedQuestion.objects.create(
        session=session,
        author=actor,
        text=text,
        level=result.level,
        open=result.open,
        confident=result.confident,
        position=session.planned_questions.count(),
    )


def planned_question_remove(*, question: PlannedQuestion, actor: Person) -> None:
    question.delete()
