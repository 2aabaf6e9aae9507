"""URLs of the certification area: competency frameworks and rubrics, read and edited as new
versions."""

from __future__ import annotations

from django.urls import include, path

from cascade.certification import (
    urls_calibration,
    urls_ladder,
    urls_public,
    views,
    views_awards,
    views_observations,
)

app_name = "certification"

urlpatterns = [
    # Frameworks
    path("certification/frameworks/", views.framework_list, name="frameworks"),
    path("certification/frameworks/<slug:slug>/", views.framework_detail, name="framework"),
    path(
        "certification/frameworks/<slug:slug>/new-version/",
        views.framework_new_version,
        name="framework_new_version",
    ),
    path(
        "certification/frameworks/<slug:slug>/draft/",
        views.framework_draft,
        name="framework_draft",
    ),
    path(
        "certification/frameworks/<slug:slug>/draft/details/",
        views.framework_draft_update,
        name="framework_draft_update",
    ),
    path(
        "certification/frameworks/<slug:slug>/draft/competencies/",
        views.competency_add,
        name="competency_add",
    ),
    path(
        "certification/frameworks/<slug:slug>/draft/competencies/<int:pk>/",
        views.competency_edit,
        name="competency_edit",
    ),
    path(
        "certification/frameworks/<slug:slug>/draft/competencies/<int:pk>/remove/",
        views.competency_remove,
        name="competency_remove",
    ),
    path(
        "certification/frameworks/<slug:slug>/draft/publish/",
        views.framework_publish,
        name="framework_publish",
    ),
    # Rubrics
    path("certification/rubrics/", views.rubric_list, name="rubrics"),
    path("certification/rubrics/<slug:slug>/", views.rubric_detail, name="rubric"),
    path(
        "certification/rubrics/<slug:slug>/new-version/",
        views.rubric_new_version,
        name="rubric_new_version",
    ),
    path("certification/rubrics/<slug:slug>/draft/", views.rubric_draft, name="rubric_draft"),
    path(
        "certification/rubrics/<slug:slug>/draft/rule/",
        views.rubric_rule,
        name="rubric_rule",
    ),
    path(
        "certification/rubrics/<slug:slug>/draft/criteria/",
        views.criterion_add,
        name="criterion_add",
    ),
    path(
        "certification/rubrics/<slug:slug>/draft/criteria/<int:pk>/",
        views.criterion_edit,
        name="criterion_edit",
    ),
    path(
        "certification/rubrics/<slug:slug>/draft/criteria/<int:pk>/remove/",
        views.criterion_remove,
        name="criterion_remove",
    ),
    path(
        "certification/rubrics/<slug:slug>/draft/publish/",
        views.rubric_publish,
        name="rubric_publish",
    ),
    # Teach-backs and observations
    path("certification/observations/", views_observations.observation_list, name="observations"),
    path(
        "certification/observations/new/",
        views_observations.observation_new,
        name="observation_new",
    ),
    path(
        "certification/observations/<int:pk>/",
        views_observations.observation_detail,
        name="observation",
    ),
    path(
        "certification/observations/<int:pk>/assign/",
        views_observations.observation_assign,
        name="observation_assign",
    ),
    path(
        "certification/observations/<int:pk>/score/",
        views_observations.observation_score,
        name="observation_score",
    ),
    path(
        "certification/observations/<int:pk>/note/",
        views_observations.observation_note,
        name="observation_note",
    ),
    path(
        "certification/observations/<int:pk>/resolve/",
        views_observations.observation_resolve,
        name="observation_resolve",
    ),
    path(
        "certification/observations/<int:pk>/withdraw/",
        views_observations.observation_withdraw,
        name="observation_withdraw",
    ),
    path(
        "certification/observations/<int:pk>/recording/",
        views_observations.observation_recording,
        name="observation_recording",
    ),
    path("certification/growth/", views_observations.growth, name="growth"),
    path(
        "certification/people/<int:person_pk>/growth/",
        views_observations.growth,
        name="person_growth",
    ),
    # The ladder and certifications
    path("certification/path/", views_awards.my_path, name="my_path"),
    path("certification/path/development/", views_awards.development_add, name="development_add"),
    path("certification/people/<int:person_pk>/", views_awards.person_path, name="person_path"),
    path(
        "certification/people/<int:person_pk>/competencies/",
        views_awards.competency_rate,
        name="competency_rate",
    ),
    path("certification/certifications/", views_awards.certification_list, name="certifications"),
    path(
        "certification/certifications/award/",
        views_awards.certification_award,
        name="certification_award",
    ),
    path(
        "certification/certifications/<int:pk>/",
        views_awards.certification_detail,
        name="certification",
    ),
    path(
        "certification/certifications/<int:pk>/action/",
        views_awards.certification_action,
        name="certification_action",
    ),
    path("", include(urls_calibration)),
    path("", include(urls_ladder)),
    path("", include(urls_public)),
]
