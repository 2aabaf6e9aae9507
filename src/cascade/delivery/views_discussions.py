"""Discussion pages: the threads of a course, cohort or session (and starting one), a thread
with its posts (and replying), following, choosing the answer, moderation, and the mention
suggestions for the compose box.

Who sees what is :mod:`cascade.delivery.rules`; a place or thread the viewer may not see, or an
id that does not belong where the URL puts it, answers 404 and changes nothing. Every page works
without JavaScript; ``discussions.js`` only adds @-suggestions while typing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cascade.core.errors import ApplicationError
from cascade.core.markdown import render_markdown
from cascade.delivery import selectors_discussions as selectors
from cascade.delivery.forms_discussions import AnswerForm, ReplyForm, ThreadForm
from cascade.delivery.mentions import handles_in, link_mentions, resolve_mentions
from cascade.delivery.models import Post, Thread
from cascade.delivery.services import discussions as services
from cascade.people.models import Person

THREADS_PER_PAGE = 25


def _viewer(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


def _place_or_404(viewer: Person, kind: str, pk: int) -> selectors.Place:
    place = selectors.discussion_place(viewer, kind, pk)
    if place is None:
        raise Http404
    return place


def _thread_or_404(viewer: Person, pk: int) -> tuple[Thread, bool]:
    found = selectors.thread_visible(viewer, pk)
    if found is None:
        raise Http404
    return found


def _post_or_404(thread: Thread, post_pk: Any) -> Post:
    """A post of this thread; any other id (another thread's post, or none) is a 404."""
    post = Post.objects.filter(pk=post_pk, thread=thread).first() if post_pk else None
    if post is None:
        raise Http404
    return post


def _form_error(form: Form, exc: ApplicationError) -> int:
    """Put a service's refusal where it belongs in the form; the status to answer with."""
    if exc.status == 404:
        raise Http404 from exc
    target = exc.extra.get("field")
    form.add_error(target if target in form.fields else None, exc.message)
    return exc.status


def _action_failed(request: HttpRequest, exc: ApplicationError) -> None:
    if exc.status == 404:
        raise Http404 from exc
    if exc.status == 403:
        raise PermissionDenied(exc.message) from exc
    messages.error(request, exc.message)


@dataclass
class PlaceInfo:
    """What the pages show of the course, cohort or session a discussion belongs to."""

    kind: str
    kind_label: str
    title: str
    url: str
    discussions_url: str
    mentions_url: str


def _place_info(place: selectors.Place, *, moderates: bool) -> PlaceInfo:
    kind = selectors.place_kind(place)
    if kind == "course":
        label, title = _("Course"), place.title  # type: ignore[union-attr]
        url = reverse("delivery:course", args=[place.pk])
    elif kind == "session":
        label, title = _("Session"), place.title  # type: ignore[union-attr]
        url = reverse("delivery:session", args=[place.pk])
    else:
        label = _("Cohort")
        title = f"{place.program.title} · {place.name}"  # type: ignore[union-attr]
        # Whoever runs the cohort goes back to its dashboard; a member to their own path.
        url = reverse("learning:cohort" if moderates else "learning:my_path", args=[place.pk])
    return PlaceInfo(
        kind=kind,
        kind_label=label,
        title=title,
        url=url,
        discussions_url=reverse("delivery:discussions", args=[kind, place.pk]),
        mentions_url=reverse("delivery:mention_suggestions", args=[kind, place.pk]),
    )


# --- The threads of a place ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def discussions(request: HttpRequest, place: str, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    target = _place_or_404(viewer, place, pk)
    moderates = selectors.can_moderate_place(viewer, target)
    posted = request.method == "POST"
    form = ThreadForm(request.POST if posted else None)
    status = 200
    if posted:
        status = 400
        if form.is_valid():
            try:
                thread = services.thread_start(
                    place=target,
                    author=viewer,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    kind=form.cleaned_data["kind"],
                )
            except ApplicationError as exc:
                status = _form_error(form, exc)
            else:
                messages.success(request, _("Your thread is started."))
                return redirect("delivery:thread", thread.pk)
    threads = selectors.place_threads(target, include_hidden=moderates)
    page = Paginator(threads, THREADS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "delivery/discussions/list.html",
        {
            "place": _place_info(target, moderates=moderates),
            "page_obj": page,
            "query_string": "",
            "form": form,
            "moderates": moderates,
        },
        status=status,
    )


# --- A thread --------------------------------------------------------------------------------


@dataclass
class PostView:
    post: Post
    html: SafeString | None  # None: hidden, and the viewer does not moderate
    replies: list[PostView] = field(default_factory=list)


def _post_views(thread: Thread, *, moderates: bool) -> list[PostView]:
    """The posts rendered, mentions linked to members (one query for every post on the page)."""
    nodes = selectors.thread_posts(thread)
    rendered: dict[int, str] = {}

    def render_node(node: selectors.PostNode) -> None:
        if moderates or not node.post.hidden:
            rendered[node.post.pk] = render_markdown(node.post.body)
        for reply in node.replies:
            render_node(reply)

    for node in nodes:
        render_node(node)
    handles = {h for html in rendered.values() for h in handles_in(html)}
    people = resolve_mentions(thread, handles)

    def view(node: selectors.PostNode) -> PostView:
        html = rendered.get(node.post.pk)
        return PostView(
            post=node.post,
            html=link_mentions(html, people) if html is not None else None,
            replies=[view(r) for r in node.replies],
        )

    return [view(n) for n in nodes]


def _thread_page(
    request: HttpRequest, thread: Thread, moderates: bool, form: ReplyForm, status: int = 200
) -> HttpResponse:
    viewer = _viewer(request)
    posts = _post_views(thread, moderates=moderates)
    opening, rest = (posts[0], posts[1:]) if posts else (None, [])
    every = [v for top in posts for v in (top, *top.replies)]
    answer = next((v for v in every if v.post.pk == thread.answer_id), None)
    parent_pk = form["parent"].value() if form.is_bound else None
    parent = next((v.post for v in every if str(v.post.pk) == str(parent_pk)), None)
    place = selectors.thread_place(thread)
    return render(
        request,
        "delivery/discussions/thread.html",
        {
            "thread": thread,
            "place": _place_info(place, moderates=moderates),
            "opening": opening,
            "posts": rest,
            "reply_count": len(every) - 1 if every else 0,
            "answer": answer,
            "form": form,
            "replying_to": parent,
            "moderates": moderates,
            "can_answer": thread.kind == Thread.Kind.QUESTION
            and (moderates or thread.author_id == viewer.pk),
            "can_post": not thread.locked and not thread.hidden,
            "following": selectors.is_following(thread, viewer),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    thread, moderates = _thread_or_404(viewer, pk)
    posted = request.method == "POST"
    form = ReplyForm(request.POST if posted else None)
    status = 200
    if posted:
        status = 400
        if form.is_valid():
            parent_pk = form.cleaned_data["parent"]
            parent = _post_or_404(thread, parent_pk) if parent_pk else None
            try:
                post = services.post_reply(
                    thread=thread, author=viewer, body=form.cleaned_data["body"], parent=parent
                )
            except ApplicationError as exc:
                status = _form_error(form, exc)
            else:
                messages.success(request, _("Your post is up."))
                return redirect(f"{reverse('delivery:thread', args=[thread.pk])}#post-{post.pk}")
    return _thread_page(request, thread, moderates, form, status)


@login_required
@require_POST
def thread_follow(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    thread, _moderates = _thread_or_404(viewer, pk)
    follow = request.POST.get("follow") == "1"
    try:
        services.subscription_set(thread=thread, person=viewer, follow=follow)
    except ApplicationError as exc:
        _action_failed(request, exc)
    else:
        messages.success(
            request,
            _("You follow this thread: new posts come to your notifications.")
            if follow
            else _("You no longer follow this thread."),
        )
    return redirect("delivery:thread", thread.pk)


@login_required
@require_POST
def thread_answer(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    thread, _moderates = _thread_or_404(viewer, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        raise Http404
    post_pk = form.cleaned_data["post"]
    post = _post_or_404(thread, post_pk) if post_pk else None
    try:
        services.thread_mark_answered(thread=thread, actor=viewer, post=post)
    except ApplicationError as exc:
        _action_failed(request, exc)
    else:
        messages.success(
            request,
            _("Marked as the answer.") if post is not None else _("The question is open again."),
        )
    anchor = f"#post-{post.pk}" if post is not None else ""
    return redirect(f"{reverse('delivery:thread', args=[thread.pk])}{anchor}")


@login_required
@require_POST
def thread_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    thread, moderates = _thread_or_404(viewer, pk)
    if not moderates:
        raise PermissionDenied
    action = request.POST.get("action")
    done = {
        "lock": _("The thread is locked: it takes no new posts."),
        "unlock": _("The thread is open for posts again."),
        "hide": _("The thread is hidden from everyone but the moderators."),
        "unhide": _("The thread is shown again."),
    }
    try:
        if action in ("lock", "unlock"):
            services.thread_lock(thread=thread, actor=viewer, locked=action == "lock")
        elif action in ("hide", "unhide"):
            services.thread_hide(thread=thread, actor=viewer, hidden=action == "hide")
        else:
            messages.error(request, _("Choose one of the actions on this page."))
            return redirect("delivery:thread", thread.pk)
    except ApplicationError as exc:
        _action_failed(request, exc)
    else:
        messages.success(request, done[action])
    return redirect("delivery:thread", thread.pk)


@login_required
@require_POST
def post_moderate(request: HttpRequest, pk: int, post_pk: int) -> HttpResponse:
    viewer = _viewer(request)
    thread, moderates = _thread_or_404(viewer, pk)
    post = _post_or_404(thread, post_pk)
    if not moderates:
        raise PermissionDenied
    action = request.POST.get("action")
    if action not in ("hide", "unhide"):
        messages.error(request, _("Choose one of the actions on this page."))
    else:
        try:
            services.post_hide(post=post, actor=viewer, hidden=action == "hide")
        except ApplicationError as exc:
            _action_failed(request, exc)
        else:
            messages.success(
                request,
                _("The post is hidden from everyone but the moderators.")
                if action == "hide"
                else _("The post is shown again."),
            )
    return redirect(f"{reverse('delivery:thread', args=[thread.pk])}#post-{post.pk}")


# --- Mention suggestions ---------------------------------------------------------------------


@login_required
@require_GET
def mention_suggestions(request: HttpRequest, place: str, pk: int) -> HttpResponse:
    """Members of the place whose name or email starts like ``q`` (at most eight): a page of
    its own without JavaScript, the list fragment for the compose box's suggestions."""
    viewer = _viewer(request)
    target = _place_or_404(viewer, place, pk)
    q = request.GET.get("q", "")[:100]
    template = "delivery/discussions/mentions.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#results"
    return render(
        request,
        template,
        {
            "place": _place_info(target, moderates=False),
            "q": q,
            "suggestions": selectors.mention_suggestions(target, q),
        },
    )


# The thread routes come first: "thread" would otherwise be read as a place.
urlpatterns = [
    path("discussions/thread/<int:pk>/", thread_detail, name="thread"),
    path("discussions/thread/<int:pk>/follow/", thread_follow, name="thread_follow"),
    path("discussions/thread/<int:pk>/answer/", thread_answer, name="thread_answer"),
    path("discussions/thread/<int:pk>/moderate/", thread_moderate, name="thread_moderate"),
    path(
        "discussions/thread/<int:pk>/posts/<int:post_pk>/moderate/",
        post_moderate,
        name="post_moderate",
    ),
    path("discussions/<str:place>/<int:pk>/", discussions, name="discussions"),
    path(
        "discussions/<str:place>/<int:pk>/mentions/",
        mention_suggestions,
        name="mention_suggestions",
    ),
]
