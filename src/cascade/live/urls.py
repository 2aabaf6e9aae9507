"""URLs of the live room (the WebSocket route is in routing.py)."""

from __future__ import annotations

from django.urls import path

from cascade.live import views

app_name = "live"

urlpatterns = [
    path("live/join/", views.join, name="join"),
    path("live/<int:session_pk>/", views.room, name="room"),
    path("live/<int:session_pk>/host/", views.host, name="host"),
    path("live/<int:session_pk>/screen/", views.screen, name="screen"),
    path("live/<int:session_pk>/state.json", views.state, name="state"),
    path("live/<int:session_pk>/qr.svg", views.qr, name="qr"),
    path("live/<int:session_pk>/ask/", views.ask, name="ask"),
    path("live/<int:session_pk>/questions/<int:question_pk>/vote/", views.vote, name="vote"),
    path(
        "live/<int:session_pk>/questions/<int:question_pk>/moderate/",
        views.moderate,
        name="moderate",
    ),
    path("live/<int:session_pk>/polls/", views.polls, name="polls"),
    path("live/<int:session_pk>/polls/new/", views.poll_new, name="poll_new"),
    path("live/<int:session_pk>/polls/<int:poll_pk>/", views.poll_action, name="poll_action"),
    path("live/<int:session_pk>/polls/<int:poll_pk>/respond/", views.respond, name="respond"),
    path("live/<int:session_pk>/react/", views.react, name="react"),
    path("live/<int:session_pk>/spoken/", views.spoken, name="spoken"),
    path("live/<int:session_pk>/close/", views.close, name="close"),
    path("live/<int:session_pk>/plan/", views.plan, name="plan"),
]
