"""What the delivery API tests share: a token-authenticated caller, problem assertions, and
a few builders. Every request goes through a personal access token (``Authorization: Bearer``),
as a script would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.test import Client

from cascade.delivery.models import Booking, Session
from cascade.delivery.services import sessions as session_services
from cascade.people import services as people_services
from cascade.people.models import AccessToken, Person, Role

API = "/api/v1"


def auth(person: Person, scope: str = AccessToken.Scope.WRITE) -> dict[str, str]:
    _token, key = people_services.token_create(person=person, name="test", scope=scope)
    return {"authorization": f"Bearer {key}"}


def get(client: Client, person: Person, path: str, **params: Any) -> Any:
    return client.get(f"{API}{path}", params, headers=auth(person))


def send(
    client: Client, method: str, person: Person, path: str, body: Any = None, **kw: Any
) -> Any:
    return getattr(client, method)(
        f"{API}{path}",
        {} if body is None else body,
        content_type="application/json",
        headers=auth(person, **kw),
    )


def post(client: Client, person: Person, path: str, body: Any = None) -> Any:
    return send(client, "post", person, path, body)


def assert_problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def bookings_state() -> list[tuple[int, int, str]]:
    return sorted(Booking.objects.values_list("session_id", "person_id", "status"))


def trainer_on(session: Session, pm: Person, make_person: Any) -> Person:
    trainer = make_person(Role.TRAINER, display_name="Tia Trainer")
    session_services.staff_assign(session=session, person=trainer, role="lead", actor=pm)
    return trainer
