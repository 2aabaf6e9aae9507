"""The live room's state as JSON-ready slices. Each slice is computed once per audience
(learners, or the people who host) and pushed to every screen of that audience, so fan-out
costs the same whatever the number of screens. Learners' slices never carry the names of
anonymous askers, nor anyone's poll answers or reactions."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from cascade.delivery.models import Booking
from cascade.live import participation, rules
from cascade.live.models import (
    Contribution,
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

PACE_WINDOW = timedelta(minutes=3)
WORDS_SHOWN = 30
TEXTS_SHOWN = 50


def questions_slice(room: Room, *, host: bool) -> list[dict[str, Any]]:
    qs = RoomQuestion.objects.filter(room=room).select_related("author")
    if not host:
        qs = qs.exclude(status=RoomQuestion.Status.HIDDEN)
    rows = []
    for q in qs.order_by("-pinned", "status", "-vote_count", "created_at", "id"):
        name = q.author.display_name if q.author else ""
        rows.append(
            {
                "id": q.pk,
                "text": q.text,
                "votes": q.vote_count,
                "status": q.status,
                "pinned": q.pinned,
                "anonymous": q.anonymous,
                # Hosts always see who asked; learners only when the asker allowed it.
                "author": name if (host or not q.anonymous) else None,
                "author_id": q.author_id if (host or not q.anonymous) else None,
            }
        )
    return rows


def _results(poll: Poll) -> dict[str, Any]:
    values = list(PollResponse.objects.filter(poll=poll).values_list("value", flat=True))
    result: dict[str, Any] = {"responses": len(values)}
    if poll.kind in (PollKind.SINGLE, PollKind.MULTIPLE):
        counts = [0] * len(poll.options)
        for v in values:
            for i in v if isinstance(v, list) else [v]:
                if isinstance(i, int) and 0 <= i < len(counts):
                    counts[i] += 1
        result["counts"] = counts
    elif poll.kind in (PollKind.RATING, PollKind.CONFIDENCE):
        result.update(_scale(values, poll.scale_max))
        if poll.before_id is not None:
            before = list(
                PollResponse.objects.filter(poll_id=poll.before_id).values_list("value", flat=True)
            )
            result["before"] = _scale(before, poll.scale_max)
    elif poll.kind == PollKind.WORD_CLOUD:
        words = Counter(str(v) for v in values)
        result["words"] = [[w, n] for w, n in words.most_common(WORDS_SHOWN)]
    else:
        result["texts"] = [str(v) for v in values[-TEXTS_SHOWN:]]
    return result


def _scale(values: list[Any], top: int) -> dict[str, Any]:
    counts = [0] * top
    numbers = [v for v in values if isinstance(v, int) and 1 <= v <= top]
    for v in numbers:
        counts[v - 1] += 1
    mean = round(sum(numbers) / len(numbers), 2) if numbers else None
    return {"counts": counts, "mean": mean, "n": len(numbers)}


def poll_slice(room: Room, *, host: bool) -> dict[str, Any] | None:
    """The poll on screen (the room's current one), with results for hosts or once revealed."""
    poll = Poll.objects.filter(pk=room.current_poll_id).first() if room.current_poll_id else None
    if poll is None:
        return None
    data: dict[str, Any] = {
        "id": poll.pk,
        "kind": poll.kind,
        "prompt": poll.prompt,
        "options": poll.options,
        "scale_max": poll.scale_max,
        "status": poll.status,
        "revealed": poll.revealed,
    }
    results = _results(poll)
    data["responses"] = results["responses"]
    if host or poll.revealed:
        data["results"] = results
    return data


def pace_slice(room: Room) -> dict[str, int]:
    """Reactions in the last few minutes, as counts only."""
    since = timezone.now() - PACE_WINDOW
    counts = dict(
        Reaction.objects.filter(room=room, created_at__gte=since)
        .values("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return {kind: counts.get(kind, 0) for kind in ReactionKind.values}


def participants(room: Room) -> list[Person]:
    return list(
        Person.objects.filter(
            bookings__session_id=room.session_id, bookings__status=Booking.Status.ENROLLED
        ).order_by("display_name")
    )


def participation_slice(room: Room) -> dict[str, Any]:
    """Who has contributed and who has not, the share who did, the Gini of contributions, and
    a quiet person to invite."""
    people = participants(room)
    by_person: dict[int, Counter[str]] = {p.pk: Counter() for p in people}
    for person_id, kind, n in (
        Contribution.objects.filter(room=room)
        .values("person_id", "kind")
        .annotate(n=Count("id"))
        .values_list("person_id", "kind", "n")
    ):
        if person_id in by_person:
            by_person[person_id][kind] = n
    present = set(Presence.objects.filter(room=room).values_list("person_id", flat=True))
    totals = {pk: sum(c.values()) for pk, c in by_person.items()}
    rows = [
        {
            "id": p.pk,
            "name": p.display_name,
            "present": p.pk in present,
            "total": totals[p.pk],
            "kinds": dict(by_person[p.pk]),
        }
        for p in people
    ]
    rows.sort(key=lambda r: (r["total"], str(r["name"]).lower()))
    # Everyone enrolled counts (a learner without a phone still speaks: the co-facilitator
    # logs it); the person to invite is picked among those in the room when anyone is.
    in_room = {pk: n for pk, n in totals.items() if pk in present}
    pick = participation.quiet_pick(in_room or totals)
    return {
        "people": rows,
        "present": len(present & set(totals)),
        "enrolled": len(people),
        "contributed": sum(1 for n in totals.values() if n > 0),
        "share": round(participation.contributed_share(totals), 3),
        "gini": round(participation.gini(list(totals.values())), 3),
        "suggest": next((r for r in rows if r["id"] == pick), None),
    }


def mine(room: Room, person: Person) -> dict[str, Any]:
    """What only this person sees: their votes and their answer to the poll on screen."""
    votes = list(
        QuestionVote.objects.filter(question__room=room, person=person).values_list(
            "question_id", flat=True
        )
    )
    answer = None
    if room.current_poll_id:
        answer = (
            PollResponse.objects.filter(poll_id=room.current_poll_id, person=person)
            .values_list("value", flat=True)
            .first()
        )
    return {"votes": votes, "answer": answer, "person_id": person.pk}


def room_slice(room: Room) -> dict[str, Any]:
    return {"open": rules.room_is_open(room), "code": room.join_code}


def snapshot(room: Room, person: Person | None, *, host: bool) -> dict[str, Any]:
    """Everything a screen needs to (re)draw itself: sent on connect, reconnect and by the
    polling fallback."""
    data: dict[str, Any] = {
        "room": room_slice(room),
        "questions": questions_slice(room, host=host),
        "poll": poll_slice(room, host=host),
    }
    if host:
        data["pace"] = pace_slice(room)
        data["participation"] = participation_slice(room)
    if person is not None:
        data["mine"] = mine(room, person)
    return data
