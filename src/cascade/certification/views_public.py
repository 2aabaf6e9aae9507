"""Public credential pages, open to anyone without signing in: the issuer's profile and keys,
the status lists, a certification's credential page, JSON download and printable PDF, and a page
that verifies a credential someone pastes or uploads.

They show what the credential itself says (the holder's name, the level and course, the dates)
and its status; nothing else about the person. JSON endpoints allow any origin, so browser-based
verifiers and wallets can read them.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from cascade.certification import credentials
from cascade.certification import verification as verification_module
from cascade.certification.certificate_pdf import certificate_pdf
from cascade.certification.credentials import MAX_CREDENTIAL_BYTES, STATUS_PURPOSES
from cascade.certification.models import Certification, Level, SigningKey
from cascade.certification.status_list import TTL_MS, status_list_credential
from cascade.delivery.models import Course


def _public_json(data: dict[str, Any], *, content_type: str = "application/json") -> JsonResponse:
    response = JsonResponse(data, content_type=content_type, json_dumps_params={"indent": 2})
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


def _certification(uid: uuid.UUID) -> Certification:
    certification = credentials.certification_by_uid(uid)
    if certification is None:
        raise Http404(_("No such credential."))
    return certification


@require_GET
def issuer(request: HttpRequest) -> JsonResponse:
    """The issuer's Open Badges ``Profile``: what every credential's ``issuer.id`` points to."""
    profile = {"@context": [credentials.VC2_CONTEXT, credentials.OB3_CONTEXT]}
    profile.update(credentials.issuer_profile())
    return _public_json(profile)


@require_GET
def issuer_keys(request: HttpRequest) -> JsonResponse:
    return _public_json(credentials.issuer_jwks(), content_type="application/jwk-set+json")


@require_GET
def issuer_key(request: HttpRequest, kid: str) -> JsonResponse:
    """One public key: what the ``kid`` URL in a credential's header dereferences to."""
    key = SigningKey.objects.filter(kid=kid).first()
    if key is None:
        raise Http404(_("No such key."))
    return _public_json(credentials.published_jwk(key), content_type="application/jwk+json")


@require_GET
def achievement(request: HttpRequest, slug: str, level: str) -> JsonResponse:
    """The ``Achievement`` a credential names; only for levels someone has been credentialled
    at, so the URL cannot be used to list courses."""
    if level not in Level.values:
        raise Http404(_("No such achievement."))
    course = Course.objects.filter(slug=slug).first()
    if (
        course is None
        or not Certification.objects.filter(course=course, level=level)
        .exclude(credential="")
        .exists()
    ):
        raise Http404(_("No such achievement."))
    data = {"@context": [credentials.VC2_CONTEXT, credentials.OB3_CONTEXT]}
    data.update(credentials.achievement_build(course, level))
    return _public_json(data)


@require_GET
def status_list(request: HttpRequest, purpose: str) -> HttpResponse:
    """A Bitstring Status List credential, signed as a VC-JWT."""
    if purpose not in STATUS_PURPOSES:
        raise Http404(_("No such status list."))
    response = HttpResponse(status_list_credential(purpose), content_type="application/vc+jwt")
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = f"public, max-age={TTL_MS // 1000}"
    return response


@require_GET
def credential_detail(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    """The public page of a credential: the verification of the credential as issued."""
    certification = _certification(uid)
    verification = verification_module.credential_verify(certification.credential)
    return render(
        request,
        "certification/public/credential.html",
        {"certification": certification, "verification": verification},
    )


@require_GET
def credential_download(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    """The credential file (a VC 2.0 enveloped credential), for a wallet or a verifier."""
    certification = _certification(uid)
    body = json.dumps(credentials.credential_document(certification), indent=2)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="credential-{certification.uid}.json"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def credential_pdf(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    """The printable certificate, shown in the browser's PDF viewer."""
    certification = _certification(uid)
    response = HttpResponse(certificate_pdf(certification), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{certification.uid}.pdf"'
    return response


class CredentialVerifyForm(forms.Form):
    """Paste the credential or upload its file; either, not both."""

    text = forms.CharField(
        label=gettext_lazy("Paste the credential"),
        required=False,
        max_length=MAX_CREDENTIAL_BYTES,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
        help_text=gettext_lazy("The contents of the .json file, or the signed token itself."),
    )
    file = forms.FileField(
        label=gettext_lazy("Or upload the file"),
        required=False,
        help_text=gettext_lazy("The credential's .json file, at most 256 KB."),
        widget=forms.FileInput(attrs={"accept": ".json,.jwt,.txt,application/json"}),
    )

    def clean_file(self) -> bytes | None:
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if upload.size is None or upload.size > MAX_CREDENTIAL_BYTES:
            raise forms.ValidationError(_("The file is larger than 256 KB; a credential is not."))
        data = upload.read(MAX_CREDENTIAL_BYTES + 1)
        if len(data) > MAX_CREDENTIAL_BYTES:
            raise forms.ValidationError(_("The file is larger than 256 KB; a credential is not."))
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file is not text, so not a credential.")) from exc
        return bytes(data)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        text, data = cleaned.get("text"), cleaned.get("file")
        if text and data:
            raise forms.ValidationError(_("Paste the credential or upload it, not both."))
        if not text and not data:
            raise forms.ValidationError(_("Paste a credential or choose its file."))
        cleaned["data"] = data or text
        return cleaned


@require_http_methods(["GET", "POST"])
def credential_verify(request: HttpRequest) -> HttpResponse:
    """Check any credential against our keys and records; bad input is a form error."""
    verification = None
    status = 200
    if request.method == "POST":
        form = CredentialVerifyForm(request.POST, request.FILES)
        if form.is_valid():
            verification = verification_module.credential_verify(form.cleaned_data["data"])
            if verification.reason == verification_module.NOT_READABLE:
                form.add_error(None, f"{verification.reason} {verification.checks[0].detail}")
                verification = None
        if not form.is_valid():
            status = 400
    else:
        form = CredentialVerifyForm()
    return render(
        request,
        "certification/public/verify.html",
        {"form": form, "verification": verification},
        status=status,
    )
