"""Background work of the people area: invitation and password-reset emails."""

from __future__ import annotations

from django.core.mail import send_mail
from django.utils.translation import gettext as _
from django_tasks import task

from cascade.people.links import person_set_password_link
from cascade.people.models import Person


@task()
def set_password_email_send(person_id: int, purpose: str, inviter: str) -> str:
    """Email a one-time link to choose a password, built now so the token is never stored.

    Running twice sends a second, equally valid link, which is harmless; a transport failure
    fails the task, which the operator sees in the task results.
    """
    person = Person.objects.filter(pk=person_id, is_active=True).first()
    if person is None:
        return "skipped"
    link = person_set_password_link(person)
    if purpose == "invite":
        subject = _("You are invited to Cascade")
        body = _(
            "%(inviter)s invited you to Cascade, where your organisation runs its trainer "
            "programs. Choose your password with this link (valid for three days, once):"
        ) % {"inviter": inviter or _("Your program manager")}
    else:
        subject = _("Choose a new Cascade password")
        body = _(
            "Someone asked to reset your Cascade password. If it was you, choose a new one with "
            "this link (valid for three days, once). If not, ignore this email."
        )
    send_mail(
        subject=subject, message=f"{body}\n\n{link}", from_email=None, recipient_list=[person.email]
    )
    return "sent"
