"""Writes of discussions: starting a thread, posting and replying, following, marking a
question answered, and moderation (hiding posts and threads, locking threads).

Every write checks who acts (through :mod:`cascade.delivery.rules`) even though the views
check first, so the API and any command get the same answers. Moderation goes to the audit log.
A post is stored exactly as typed; mentions resolve only among the thread's members
(:mod:`cascade.delivery.mentions`), and only members are ever told anything.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from cascade.core.errors import ApplicationError, Forbidden, NotFound, clean_or_raise
from cascade.core.models import NotificationKind
from cascade.core.services import audit_record, notification_send
from cascade.delivery import rules
from cascade.delivery.mentions import parse_mentions, resolve_mentions
from cascade.delivery.models import Post, Subscription, Thread
from cascade.delivery.selectors_discussions import (
    Place,
    can_see_place,
    place_filter,
    thread_members,
)
from cascade.people.models import Person

POSTS_PER_MINUTE = 20
BODY_MAX = 10_000
EXCERPT_CHARS = 300


# --- Checks ----------------------------------------------------------------------------------


def _rate_limit(person: Person) -> None:
    """A light brake on floods (a script, a stuck key): at most 20 posts a minute a person."""
    key = f"discussions:posts:{person.pk}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count > POSTS_PER_MINUTE:
        raise ApplicationError(
            _("You have posted %(n)d messages in the last minute. Wait a minute, then post again.")
            % {"n": POSTS_PER_MINUTE},
            code="rate_limited",
            status=429,
        )


def _field_error(field: str, message: str) -> ApplicationError:
    return ApplicationError(
        message, code="invalid", extra={"field": field, "errors": {field: [message]}}
    )


def _check_body(body: str) -> None:
    if not body.strip():
        raise _field_error("body", _("Write a message."))
    if len(body) > BODY_MAX:
        raise _field_error(
            "body",
            _("A message can be at most %(max)d characters long (this one has %(n)d).")
            % {"max": BODY_MAX, "n": len(body)},
        )


def _check_sees(person: Person, thread: Thread) -> bool:
    """Raise NotFound unless ``person`` may see the thread; True when they moderate it."""
    if not rules.can_see_thread(person, thread):
        raise NotFound()
    moderates = rules.can_moderate_thread(person, thread)
    if thread.hidden and not moderates:
        raise NotFound()
    return moderates


def _check_moderates(actor: Person, thread: Thread) -> None:
    if not _check_sees(actor, thread):
        raise Forbidden(_("Only the moderators of this discussion may do this."))


# --- Posting ---------------------------------------------------------------------------------


def _thread_url(thread: Thread, post: Post | None = None) -> str:
    url = reverse("delivery:thread", args=[thread.pk])
    return f"{url}#post-{post.pk}" if post is not None else url


def _subscribe(thread: Thread, people: list[Person]) -> None:
    Subscription.objects.bulk_create(
        [Subscription(thread=thread, person=p) for p in people], ignore_conflicts=True
    )


def _tell_about_post(thread: Thread, post: Post, author: Person) -> None:
    """Subscribe the author and the mentioned; tell the mentioned, then the other followers.

    Only members are considered: a handle that names nobody inside resolves to nothing, and a
    follower who has since left the place hears nothing more.
    """
    members = thread_members(thread)
    mentioned = [
        p
        for p in resolve_mentions(thread, parse_mentions(post.body)).values()
        if p.pk != author.pk and rules.can_see_thread(p, thread)
    ]
    mentioned_ids = {p.pk for p in mentioned}
    followers = list(
        members.filter(thread_subscriptions__thread=thread)
        .exclude(pk=author.pk)
        .exclude(pk__in=mentioned_ids)
        .order_by("pk")
    )
    _subscribe(thread, [author, *mentioned])
    who = author.display_name or author.email
    excerpt = Truncator(post.body).chars(EXCERPT_CHARS)
    url = _thread_url(thread, post)
    for person in mentioned:
        notification_send(
            recipient=person,
            kind=NotificationKind.DISCUSSION,
            title=_("%(who)s mentioned you in “%(title)s”") % {"who": who, "title": thread.title},
            body=excerpt,
            url=url,
            dedupe_key=f"discussion:mention:{post.pk}",
        )
    for person in followers:
        notification_send(
            recipient=person,
            kind=NotificationKind.DISCUSSION,
            title=_("%(who)s posted in “%(title)s”") % {"who": who, "title": thread.title},
            body=excerpt,
            url=url,
            dedupe_key=f"discussion:post:{post.pk}",
        )


def _opening_post_id(thread: Thread) -> int | None:
    return (
        Post.objects.filter(thread=thread)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )


def _post_create(*, thread: Thread, author: Person, body: str, parent: Post | None) -> Post:
    post = Post(thread=thread, author=author, body=body, parent=parent)
    clean_or_raise(post, exclude=["thread", "author", "parent"])
    post.save()
    Thread.objects.filter(pk=thread.pk).update(
        post_count=F("post_count") + 1, last_activity_at=timezone.now()
    )
    _tell_about_post(thread, post, author)
    return post


@transaction.atomic
def thread_start(
    *,
    place: Place,
    author: Person,
    title: str,
    body: str,
    kind: str = Thread.Kind.DISCUSSION,
) -> Thread:
    """Open a thread with its first post: its author follows it, the members it mentions are
    told."""
    if not can_see_place(author, place):
        raise NotFound()
    if kind not in Thread.Kind.values:
        raise _field_error("kind", _("Choose a discussion or a question."))
    if not title.strip():
        raise _field_error("title", _("Give the thread a title."))
    _check_body(body)
    _rate_limit(author)
    thread = Thread(kind=kind, title=title, author=author, **place_filter(place))
    clean_or_raise(thread, exclude=["author", "answer", "course", "session", "cohort"])
    thread.save()
    _post_create(thread=thread, author=author, body=body, parent=None)
    thread.refresh_from_db()
    return thread


@transaction.atomic
def post_reply(*, thread: Thread, author: Person, body: str, parent: Post | None = None) -> Post:
    """Add a post (or a reply under one) to a thread that is open; its followers are told."""
    moderates = _check_sees(author, thread)
    if parent is not None and parent.thread_id != thread.pk:
        raise NotFound()
    _check_body(body)
    locked = Thread.objects.select_for_update().get(pk=thread.pk)
    if locked.hidden:
        if not moderates:
            raise NotFound()
        raise ApplicationError(
            _("This thread is hidden: it takes no new posts."), code="thread_hidden"
        )
    if locked.locked:
        raise ApplicationError(
            _("This thread is locked: it takes no new posts."), code="thread_locked"
        )
    if parent is not None and parent.parent_id is not None:
        # One level of replies: a reply to a reply goes under the post they both answer.
        parent = Post.objects.get(pk=parent.parent_id)
    if parent is not None and parent.pk == _opening_post_id(thread):
        # Answering the opening post is what every post in the thread does.
        parent = None
    if parent is not None and parent.hidden:
        raise ApplicationError(
            _("That post is hidden; reply to the thread instead."), code="post_hidden"
        )
    _rate_limit(author)
    return _post_create(thread=thread, author=author, body=body, parent=parent)


@transaction.atomic
def subscription_set(*, thread: Thread, person: Person, follow: bool) -> bool:
    """Follow (hear about every new post) or stop following a thread one can see."""
    _check_sees(person, thread)
    if not follow:
        Subscription.objects.filter(thread=thread, person=person).delete()
        return False
    try:
        with transaction.atomic():
            Subscription.objects.get_or_create(thread=thread, person=person)
    except IntegrityError:  # a concurrent identical request made it: that one stands
        pass
    return True


@transaction.atomic
def thread_mark_answered(*, thread: Thread, actor: Person, post: Post | None) -> Thread:
    """Mark which post answers a question (None to unmark): its moderators or its asker."""
    moderates = _check_sees(actor, thread)
    if not moderates and thread.author_id != actor.pk:
        raise Forbidden(_("Only the person who asked and the moderators may choose the answer."))
    if thread.kind != Thread.Kind.QUESTION:
        raise ApplicationError(_("Only a question has an answer."), code="not_a_question")
    if post is not None:
        if post.thread_id != thread.pk:
            raise NotFound()
        if post.hidden:
            raise ApplicationError(_("A hidden post cannot be the answer."), code="post_hidden")
        if post.pk == _opening_post_id(thread):
            raise ApplicationError(
                _("The question itself cannot be its answer."), code="answer_is_question"
            )
    previous = thread.answer_id
    thread.answer = post
    thread.save(update_fields=["answer"])
    audit_record(
        actor=actor,
        action="delivery.thread.answered" if post is not None else "delivery.thread.unanswered",
        target=thread,
        changes={"answer": [previous, post.pk if post is not None else None]},
    )
    if post is not None and previous != post.pk:
        title = _("“%(title)s” has an answer") % {"title": thread.title}
        told = {actor.pk}
        for person in (thread.author, post.author):
            if person is not None and person.pk not in told:
                told.add(person.pk)
                notification_send(
                    recipient=person,
                    kind=NotificationKind.DISCUSSION,
                    title=title,
                    body=Truncator(post.body).chars(EXCERPT_CHARS),
                    url=_thread_url(thread, post),
                    dedupe_key=f"discussion:answer:{thread.pk}:{post.pk}",
                )
    return thread


# --- Moderation ------------------------------------------------------------------------------


@transaction.atomic
def post_hide(*, post: Post, actor: Person, hidden: bool = True) -> Post:
    """Hide a post from everyone but the moderators (or show it again); audited."""
    thread: Thread = post.thread
    _check_moderates(actor, thread)
    if post.hidden == hidden:
        return post
    post.hidden = hidden
    post.hidden_by = actor if hidden else None
    post.save(update_fields=["hidden", "hidden_by"])
    changes: dict[str, object] = {"thread": thread.pk, "hidden": hidden}
    if hidden and thread.answer_id == post.pk:
        # A hidden post cannot stand as the answer everyone is pointed to.
        Thread.objects.filter(pk=thread.pk).update(answer=None)
        thread.answer = None
        changes["answer"] = [post.pk, None]
    audit_record(
        actor=actor,
        action="delivery.post.hidden" if hidden else "delivery.post.shown",
        target=post,
        changes=changes,
    )
    return post


@transaction.atomic
def thread_hide(*, thread: Thread, actor: Person, hidden: bool = True) -> Thread:
    """Hide a whole thread from everyone but the moderators (or show it again); audited."""
    _check_moderates(actor, thread)
    if thread.hidden == hidden:
        return thread
    thread.hidden = hidden
    thread.save(update_fields=["hidden"])
    audit_record(
        actor=actor,
        action="delivery.thread.hidden" if hidden else "delivery.thread.shown",
        target=thread,
        changes={"hidden": hidden},
    )
    return thread


@transaction.atomic
def thread_lock(*, thread: Thread, actor: Person, locked: bool = True) -> Thread:
    """Lock a thread (it keeps its posts and takes no new ones) or open it again; audited."""
    _check_moderates(actor, thread)
    if thread.locked == locked:
        return thread
    thread.locked = locked
    thread.save(update_fields=["locked"])
    audit_record(
        actor=actor,
        action="delivery.thread.locked" if locked else "delivery.thread.unlocked",
        target=thread,
        changes={"locked": locked},
    )
    return thread
