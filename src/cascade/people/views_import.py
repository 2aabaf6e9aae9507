"""Bulk import of people from CSV: a dry-run preview, then an all-or-nothing import.

The previewed file waits in the server-side session (it is at most
``CASCADE_IMPORT_MAX_BYTES``), tied to the preview by its SHA-256, so the import button imports
exactly the file that was checked and a stale tab cannot import another one.
"""

from __future__ import annotations

import csv
import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cascade.core.errors import ApplicationError
from cascade.core.permissions import role_required
from cascade.people import import_csv, imports, rules, selectors
from cascade.people.models import Person, Role

SESSION_FILE = "people_import_file"
SESSION_RESULT = "people_import_result"
TEMPLATE = "people/import.html"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("Saved as “CSV UTF-8”, at most %(limit)s.") % {
            "limit": filesizeformat(settings.CASCADE_IMPORT_MAX_BYTES)
        }

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = settings.CASCADE_IMPORT_MAX_BYTES
        if (upload.size or 0) > limit:
            # Refused before it is read, whatever the service would say.
            raise forms.ValidationError(
                _("This file is %(size)s; the limit is %(limit)s. Split it into smaller files.")
                % {"size": filesizeformat(upload.size or 0), "limit": filesizeformat(limit)}
            )
        if not (upload.name or "").lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(_("Choose a .csv file (saved as “CSV UTF-8”)."))
        return upload


def _template_csv(viewer: Person) -> HttpResponse:
    """A file to start from: the header and one example row, with a BOM so Excel reads UTF-8."""
    example = list(import_csv.EXAMPLE_ROW)
    paths = rules.managed_unit_paths(viewer)
    unit = next(
        (
            u
            for u in selectors.org_units_all()
            if paths is None or any(u.path.startswith(p) for p in paths)
        ),
        None,
    )
    if unit is not None:
        example[import_csv.COLUMNS.index("org_unit")] = unit.code
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="people-import-template.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(import_csv.COLUMNS)
    writer.writerow(example)
    return response


def _preview(request: HttpRequest, viewer: Person, form: ImportUploadForm) -> dict[str, Any]:
    data = form.cleaned_data["file"].read()
    report = imports.people_import(csv_bytes=data, actor=viewer, dry_run=True)
    digest = hashlib.sha256(data).hexdigest()
    if report.is_valid and report.to_change:
        # Valid means UTF-8, so decoding (BOM kept) gives back exactly these bytes later.
        request.session[SESSION_FILE] = {"digest": digest, "csv": data.decode("utf-8")}
    else:
        request.session.pop(SESSION_FILE, None)
    return {"report": report, "digest": digest, "file_name": form.cleaned_data["file"].name}


def _confirm(request: HttpRequest, viewer: Person) -> HttpResponse:
    stored = request.session.get(SESSION_FILE)
    if not stored or not constant_time_compare(stored["digest"], request.POST.get("digest", "")):
        messages.error(request, _("That preview is no longer available; upload the file again."))
        return redirect("people:import")
    try:
        report = imports.people_import(
            csv_bytes=stored["csv"].encode("utf-8"), actor=viewer, dry_run=False
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("people:import")
    request.session.pop(SESSION_FILE, None)
    if not report.applied:
        # Someone changed people or units since the preview: show what is wrong now.
        return _render(request, viewer, ImportUploadForm(), report=report, stale=True)
    request.session[SESSION_RESULT] = {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
    }
    return redirect("people:import")


@role_required(Role.PROGRAM_MANAGER)
def import_people(request: HttpRequest) -> HttpResponse:
    """Upload and preview (nothing written), then import the previewed file in one go."""
    viewer: Person = request.user  # type: ignore[assignment]
    if request.method == "GET" and request.GET.get("template") == "csv":
        return _template_csv(viewer)
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request, viewer)
    context: dict[str, Any] = {}
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            context.update(_preview(request, viewer, form))
            form = ImportUploadForm()
    else:
        form = ImportUploadForm()
        context["result"] = request.session.pop(SESSION_RESULT, None)
    return _render(request, viewer, form, **context)


def _render(
    request: HttpRequest, viewer: Person, form: ImportUploadForm, **context: Any
) -> HttpResponse:
    context.update(
        form=form,
        role_labels=[str(label) for label in Role.labels],
        scoped=rules.managed_unit_paths(viewer) is not None,
    )
    return render(request, TEMPLATE, context)
