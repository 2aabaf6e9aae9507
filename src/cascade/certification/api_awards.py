"""The API for observations (scores hidden by the blind rule), certifications, their signed
credentials, and credential verification (public, no sign-in needed).

Who sees what is the pages' rule, from the same selectors: a candidate sees their own
observations, observers the ones they are on, master trainers and program managers all; people
see their own certifications, master trainers and program managers everyone's.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from cascade.certification import credentials, verification
from cascade.certification.models import Certification, Observation, ObservationStatus
from cascade.certification.schemas_awards import (
    CertificationOut,
    CertificationPage,
    CertificationQuery,
    ObservationOut,
    ObservationPage,
    VerifyIn,
    VerifyOut,
)
from cascade.certification.selectors import awards as award_selectors
from cascade.certification.selectors import observations as obs_selectors
from cascade.core.api import ERRORS, PageQuery, paginate
from cascade.core.errors import NotFound
from cascade.people.models import Person, Role

observations_router = Router(tags=["observations"])
certifications_router = Router(tags=["certifications"])
credentials_router = Router(tags=["credentials"])


def _viewer(request: HttpRequest) -> Person:
    person: Person = request.auth  # type: ignore[attr-defined]
    return person


def _person(p: Any) -> dict[str, Any] | None:
    return {"id": p.pk, "name": str(p)} if p is not None else None


def _course(c: Any) -> dict[str, Any] | None:
    return {"id": c.pk, "slug": c.slug, "title": c.title} if c is not None else None


def _observation(obs: Observation, viewer: Person) -> dict[str, Any]:
    sheets = obs_selectors.visible_sheets(obs, viewer)
    all_sheets = list(obs.sheets.all())
    decided = obs.status == ObservationStatus.DECIDED
    show_self = viewer.pk == obs.candidate_id or decided
    return {
        "id": obs.pk,
        "candidate": _person(obs.candidate),
        "kind": obs.kind,
        "mode": obs.mode,
        "course": _course(obs.course),
        "title": obs.title,
        "attempt": obs.attempt,
        "rubric": f"{obs.rubric.slug}@{obs.rubric.version}",
        "status": obs.status,
        "observers_assigned": len(all_sheets),
        "observers_submitted": sum(1 for s in all_sheets if s.submitted_at),
        "observers_needed": obs.observers_needed,
        "self_levels": obs.self_levels if show_self else None,
        "sheets": [
            {
                "observer": _person(s.observer),
                "role": s.role,
                "submitted": s.submitted_at is not None,
                "levels": s.levels,
                "evidence": s.evidence,
                "timestamps": s.timestamps,
                "comment": s.comment,
            }
            for s in sheets
        ],
        "flagged": obs.flagged if viewer.pk != obs.candidate_id or decided else [],
        "result": (
            {
                "passed": obs.passed,
                "mean": obs.mean,
                "reasons": obs.reasons,
                "levels": obs.final_levels,
                "strengths": obs.strengths,
                "next_steps": obs.next_steps,
            }
            if decided
            else None
        ),
        "created_at": obs.created_at,
    }


def _observations_visible(viewer: Person) -> Any:
    qs = Observation.objects.select_related("candidate", "course", "rubric").prefetch_related(
        "sheets__observer"
    )
    if viewer.has_role(Role.PROGRAM_MANAGER, Role.MASTER_TRAINER):
        return qs
    return qs.filter(pk__in=Observation.objects.filter(candidate=viewer).values("pk")) | qs.filter(
        sheets__observer=viewer
    )


@observations_router.get(
    "", response={200: ObservationPage, **ERRORS}, summary="List observations you may see"
)
def observations_list(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    """Your own attempts and those you observe (everyone's for master trainers and program
    managers), newest first; each with the sheets the blind rule lets you see."""
    viewer = _viewer(request)
    page = paginate(
        _observations_visible(viewer).distinct().order_by("-created_at", "-id"),
        page=paging.page,
        page_size=paging.page_size,
    )
    page["items"] = [_observation(o, viewer) for o in page["items"]]
    return page


@observations_router.get(
    "/{observation_id}", response={200: ObservationOut, **ERRORS}, summary="Read an observation"
)
def observations_read(request: HttpRequest, observation_id: int) -> dict[str, Any]:
    viewer = _viewer(request)
    obs = obs_selectors.observation_detail(observation_id)
    if obs is None or not obs_selectors.can_view(obs, viewer):
        raise NotFound(_("No such observation."))
    return _observation(obs, viewer)


def _certification(cert: Certification) -> dict[str, Any]:
    return {
        "id": cert.pk,
        "uid": str(cert.uid),
        "person": _person(cert.person),
        "course": _course(cert.course),
        "level": cert.level,
        "status": cert.status,
        "awarded_at": cert.awarded_at,
        "expires_at": cert.expires_at,
        "awarded_by": _person(cert.awarded_by),
        "reason": cert.reason,
        "credential_url": credentials.public_url("credential_download", cert.uid),
        "verification_url": credentials.public_url("credential_detail", cert.uid),
    }


@certifications_router.get(
    "", response={200: CertificationPage, **ERRORS}, summary="List certifications"
)
def certifications_list(
    request: HttpRequest, query: Query[CertificationQuery], paging: Query[PageQuery]
) -> dict[str, Any]:
    """Your own certifications (everyone's for master trainers and program managers), with
    every status unless one is asked for; newest first."""
    qs = award_selectors.certifications_visible(_viewer(request))
    if query.status:
        qs = qs.filter(status=query.status)
    if query.course:
        qs = qs.filter(course_id=query.course)
    if query.person:
        qs = qs.filter(person_id=query.person)
    page = paginate(qs.order_by("-awarded_at", "-id"), page=paging.page, page_size=paging.page_size)
    page["items"] = [_certification(c) for c in page["items"]]
    return page


def _visible(request: HttpRequest, certification_id: int) -> Certification:
    cert = (
        award_selectors.certifications_visible(_viewer(request)).filter(pk=certification_id).first()
    )
    if cert is None:
        raise NotFound(_("No such certification."))
    return cert


@certifications_router.get(
    "/{certification_id}", response={200: CertificationOut, **ERRORS}, summary="Read one"
)
def certifications_read(request: HttpRequest, certification_id: int) -> dict[str, Any]:
    return _certification(_visible(request, certification_id))


@certifications_router.get(
    "/{certification_id}/credential",
    response={200: dict[str, Any], **ERRORS},
    summary="The signed credential, as issued",
)
def certifications_credential(request: HttpRequest, certification_id: int) -> Any:
    """The Open Badges 3.0 credential exactly as issued: a VC 2.0
    ``EnvelopedVerifiableCredential`` whose ``id`` is the VC-JWT (EdDSA, Ed25519)."""
    cert = _visible(request, certification_id)
    if not cert.credential:
        raise NotFound(_("This certification has no credential."))
    return JsonResponse(
        credentials.credential_document(cert), content_type="application/vc+ld+json"
    )


@credentials_router.post(
    "/verify", response={200: VerifyOut, **ERRORS}, auth=None, summary="Verify a credential"
)
def credentials_verify(request: HttpRequest, body: VerifyIn) -> dict[str, Any]:
    """Check a credential's signature against our published keys, its dates and its status
    (revoked or suspended). Open to anyone: verifiers need no account. ``valid`` is false with
    a plain-English ``reason`` for anything that fails, including unreadable input."""
    result = verification.credential_verify(body.credential)
    return {
        "valid": result.valid,
        "reason": result.reason,
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in result.checks],
        "credential": result.credential,
    }
