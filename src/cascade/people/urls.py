from __future__ import annotations

from django.urls import path

from cascade.people import views, views_import

app_name = "people"

urlpatterns = [
    path("account/login/", views.LoginView.as_view(), name="login"),
    path("account/logout/", views.LogoutView.as_view(), name="logout"),
    path("account/password-reset/", views.password_reset, name="password_reset"),
    path(
        "account/set-password/<uidb64>/<token>/",
        views.SetPasswordView.as_view(),
        name="set_password",
    ),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("me/", views.me, name="me"),
    path("me/tokens/", views.tokens, name="tokens"),
    path("me/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("people/", views.directory, name="directory"),
    path("people/new/", views.person_new, name="person_new"),
    path("people/import/", views_import.import_people, name="import"),
    path("people/<int:pk>/", views.profile, name="profile"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/roles/", views.person_roles, name="person_roles"),
    path(
        "people/<int:pk>/<str:action>/",
        views.person_status,
        name="person_status",
    ),
    path("team/", views.team, name="team"),
    path("org-units/", views.org_units, name="org_units"),
]
