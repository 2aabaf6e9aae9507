"""Calendar pages: the private iCalendar feed itself, the page that gives a person its address,
and resetting that address.

The feed has no login: calendar apps cannot sign in, so the secret token in the URL is the
credential. That is why the response is marked private (no shared cache may keep it) and why a
person can replace the token.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cascade.delivery import feeds
from cascade.delivery.services.feeds import calendar_feed_for, calendar_feed_reset
from cascade.people.models import Person

# Calendar apps poll every few minutes to every few hours; a short lifetime in the person's own
# client keeps changes (a moved or cancelled session) visible soon after they happen.
FEED_MAX_AGE = 300


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    feed = feeds.feed_by_token(token)
    if feed is None:
        raise Http404
    person: Person = feed.person  # type: ignore[assignment]
    response = HttpResponse(
        feeds.person_calendar(person), content_type="text/calendar; charset=utf-8"
    )
    patch_cache_control(response, private=True, max_age=FEED_MAX_AGE)
    # The address is a secret: keep it out of search engines even if someone posts it.
    response["X-Robots-Tag"] = "noindex"
    return response


def feed_url(token: str) -> str:
    return settings.SITE_URL + reverse("delivery:calendar_feed", args=[token])


@login_required
@require_GET
def my_calendar(request: HttpRequest) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    # Made on the first visit: an idempotent provisioning nobody else can trigger usefully
    # (only this page shows the address), so it is safe on GET.
    feed = calendar_feed_for(person=person)
    # Only the site's own (https) address is offered: a webcal:// link lets some clients fetch it
    # over plain http first, which would send the secret token in clear text.
    return render(request, "delivery/calendar/mine.html", {"feed_url": feed_url(feed.token)})


@login_required
@require_POST
def calendar_reset(request: HttpRequest) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    calendar_feed_reset(person=person)
    messages.success(
        request,
        _(
            "Your calendar address is changed and the old one no longer works. "
            "Subscribe again with the new address below."
        ),
    )
    return redirect("delivery:my_calendar")


urlpatterns: list[URLPattern] = [
    path("calendar/<str:token>.ics", calendar_feed, name="calendar_feed"),
    path("me/calendar/", my_calendar, name="my_calendar"),
    path("me/calendar/reset/", calendar_reset, name="calendar_reset"),
]
