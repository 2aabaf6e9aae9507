"""Reviewing: the queue of work waiting for sign-off and reflections waiting for a reply, and
one submission with its actions (approve, return, reply, record attendance).

Who may review a piece of work is ``learning.rules.can_review`` (through
``access.progress_to_review``); the queue lists only what that rule allows.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cascade.core.errors import ApplicationError
from cascade.core.markdown import render_markdown
from cascade.learning import access, rules
from cascade.learning.forms_path import AttendanceForm, ReflectionReplyForm, SignOffForm
from cascade.learning.models import (
    Enrolment,
    ProgressStatus,
    ReflectionEntry,
    Step,
    StepKind,
    StepProgress,
)
from cascade.learning.services import progress as progress_services
from cascade.people.models import Person, Role

QUEUE_LIMIT = 100


def _viewer(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


def _is_reviewer(viewer: Person) -> bool:
    return (
        viewer.has_role(Role.PROGRAM_MANAGER, Role.MASTER_TRAINER, Role.MANAGER)
        or Enrolment.objects.filter(mentor=viewer).exists()
        or rules.cohorts_visible(viewer).exists()
    )


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if not _is_reviewer(viewer):
        raise Http404
    work = StepProgress.objects.filter(
        rules.reviewable_q(viewer), status=ProgressStatus.SUBMITTED
    ).select_related("step", "enrolment__person", "enrolment__cohort__program")
    reflections = ReflectionEntry.objects.filter(
        rules.reviewable_q(viewer, "progress__"), replied_at__isnull=True
    ).select_related(
        "progress__step", "progress__enrolment__person", "progress__enrolment__cohort__program"
    )
    return render(
        request,
        "learning/review/queue.html",
        {
            "work": list(work.order_by("submitted_at", "pk")[:QUEUE_LIMIT]),
            "work_total": work.count(),
            "reflections": list(reflections.order_by("submitted_at", "pk")[:QUEUE_LIMIT]),
            "reflections_total": reflections.count(),
            "limit": QUEUE_LIMIT,
        },
    )


def _live_sessions(enrolment: Enrolment) -> list[dict[str, Any]]:
    """The live-session steps of this person's path and whether attendance is recorded."""
    steps = list(
        Step.objects.filter(version_id=enrolment.version_id, kind=StepKind.LIVE_SESSION).order_by(
            "position", "id"
        )
    )
    status = dict(
        StepProgress.objects.filter(enrolment=enrolment, step__in=steps).values_list(
            "step_id", "status"
        )
    )
    return [{"step": s, "status": status.get(s.pk, ProgressStatus.NOT_STARTED)} for s in steps]


def _act(
    request: HttpRequest,
    progress: StepProgress,
    sign_off: SignOffForm,
    reply: ReflectionReplyForm,
    attendance: AttendanceForm,
) -> HttpResponse | None:
    """Carry out the posted action; a response when done, None to show the page with errors."""
    viewer = _viewer(request)
    action = request.POST.get("action")
    try:
        if action == "sign_off" and sign_off.is_valid():
            approve = sign_off.cleaned_data["decision"] == "approve"
            progress_services.work_sign_off(
                progress=progress, actor=viewer, approve=approve, note=sign_off.cleaned_data["note"]
            )
            text = (
                _("“%(step)s” by %(person)s is signed off.")
                if approve
                else _("“%(step)s” is returned to %(person)s with your note.")
            )
            messages.success(
                request, text % {"step": progress.step.title, "person": progress.enrolment.person}
            )
            return redirect("learning:review_queue")
        if action == "reply" and reply.is_valid():
            progress_services.reflection_reply(
                progress=progress, actor=viewer, text=reply.cleaned_data["reply"]
            )
            messages.success(request, _("Your reply is sent."))
            return redirect("learning:review", progress.pk)
        if action == "attendance" and attendance.is_valid():
            session = Step.objects.filter(
                pk=attendance.cleaned_data["step"],
                version_id=progress.enrolment.version_id,
                kind=StepKind.LIVE_SESSION,
            ).first()
            if session is None:
                raise Http404
            progress_services.attendance_record(
                enrolment=progress.enrolment,
                step=session,
                attended=attendance.cleaned_data["attended"],
                actor=viewer,
            )
            messages.success(
                request, _("Attendance at “%(step)s” is recorded.") % {"step": session.title}
            )
            return redirect("learning:review", progress.pk)
    except ApplicationError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
        return None
    if action == "attendance":
        messages.error(request, _("Choose a live session and whether the person attended."))
    elif action not in ("sign_off", "reply"):
        messages.error(request, _("Choose one of the actions on this page."))
    return None


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, pk: int) -> HttpResponse:
    progress = access.progress_to_review(_viewer(request), pk)
    posted = request.method == "POST"
    action = request.POST.get("action") if posted else None
    sign_off = SignOffForm(request.POST if action == "sign_off" else None)
    reply = ReflectionReplyForm(request.POST if action == "reply" else None)
    attendance = AttendanceForm(request.POST if action == "attendance" else None)
    if posted:
        done = _act(request, progress, sign_off, reply, attendance)
        if done is not None:
            return done
    enrolment = progress.enrolment
    step = progress.step
    items = list((step.config or {}).get("checklist") or [])
    ticked = set(progress.checklist or [])
    entry = ReflectionEntry.objects.select_related("replied_by").filter(progress=progress).first()
    return render(
        request,
        "learning/review/review.html",
        {
            "progress": progress,
            "enrolment": enrolment,
            "person": enrolment.person,
            "step": step,
            "kind_label": StepKind(step.kind).label,
            "body": render_markdown(step.body),
            "items": [(text, i in ticked) for i, text in enumerate(items)],
            "files": list(progress.files.all()),
            "entry": entry,
            "meetings": list(progress.meetings.select_related("logged_by")),
            "live_sessions": _live_sessions(enrolment),
            "signed_off_by": progress.signed_off_by,
            "sign_off": sign_off,
            "reply": reply,
            "is_submitted": progress.status == ProgressStatus.SUBMITTED,
        },
        status=400 if posted else 200,
    )
