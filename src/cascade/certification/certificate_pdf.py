"""The printable certificate (A4 landscape PDF) for a certification, with a QR code to its
public verification page: paper a reader can check, since the PDF itself carries no signature.

Rendered by WeasyPrint with a fetcher that allows only ``data:`` URLs, so a template (or a name
typed by a user) can never make the server fetch anything.
"""

from __future__ import annotations

import hashlib
from datetime import UTC

import segno
from django.core.cache import cache
from django.template.loader import render_to_string

from cascade.certification.credentials import issuer_name, public_url
from cascade.certification.models import Certification, Level

TEMPLATE = "certification/public/certificate_pdf.html"
CACHE_SECONDS = 24 * 60 * 60


def certificate_context(certification: Certification) -> dict[str, object]:
    url = public_url("credential_detail", certification.uid)
    qr = segno.make(url, error="m")
    return {
        "certification": certification,
        "holder_name": certification.person.display_name,
        "level": Level(certification.level).label,
        "course": certification.course.title,
        "awarded_on": certification.awarded_at.astimezone(UTC).date(),
        "expires_on": certification.expires_at.astimezone(UTC).date(),
        "issuer_name": issuer_name(),
        "credential_id": f"urn:uuid:{certification.uid}",
        "verification_url": url,
        "qr_data_uri": qr.svg_data_uri(scale=4, border=0, dark="#0f1720"),
    }


def certificate_pdf(certification: Certification) -> bytes:
    """The certificate as PDF bytes. Rendering takes about a second on a public URL, so the
    result is cached under a digest of the page it renders: any change shows at once."""
    # Imported here so that a machine without Pango can still import the rest of the area.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(TEMPLATE, certificate_context(certification))
    key = f"certification:pdf:{hashlib.sha256(html.encode()).hexdigest()}"
    pdf = cache.get(key)
    if pdf is None:
        fetcher = URLFetcher(allowed_protocols=["data"], allow_redirects=False)
        pdf = HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
        cache.set(key, pdf, CACHE_SECONDS)
    return bytes(pdf)
