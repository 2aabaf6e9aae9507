"""URLs of the learning area: building programs, cohorts, doing a path, reviewing work."""

from __future__ import annotations

from django.urls import path

from cascade.learning import views_bank, views_builder, views_cohorts, views_path, views_review

app_name = "learning"

urlpatterns = [
    # Building programs (program managers; trainers for learner paths)
    path("programs/", views_builder.program_list, name="programs"),
    path("programs/new/", views_builder.program_new, name="program_new"),
    path("programs/<int:pk>/", views_builder.program_detail, name="program"),
    path("programs/<int:pk>/draft/", views_builder.draft_edit, name="draft"),
    path("programs/<int:pk>/steps/new/", views_builder.step_new, name="step_new"),
    path("programs/<int:pk>/steps/<int:step_pk>/", views_builder.step_edit, name="step_edit"),
    path("programs/<int:pk>/steps/<int:step_pk>/move/", views_builder.step_move, name="step_move"),
    path(
        "programs/<int:pk>/steps/<int:step_pk>/delete/",
        views_builder.step_delete,
        name="step_delete",
    ),
    path("programs/<int:pk>/reorder/", views_builder.steps_reorder, name="steps_reorder"),
    path("programs/<int:pk>/preview/", views_bank.preview, name="preview"),
    path("programs/<int:pk>/publish/", views_builder.publish, name="publish"),
    path("programs/<int:pk>/questions/", views_bank.question_bank, name="questions"),
    path("programs/<int:pk>/questions/new/", views_bank.question_new, name="question_new"),
    path("programs/<int:pk>/questions/<int:q_pk>/", views_bank.question_edit, name="question_edit"),
    path("programs/<int:pk>/export/", views_bank.program_export, name="program_export"),
    path("programs/import/", views_bank.program_import, name="program_import"),
    path("resources/<int:pk>/", views_path.resource_download, name="resource"),
    # Cohorts (program managers and the cohort's master trainers)
    path("cohorts/", views_cohorts.cohort_list, name="cohorts"),
    path("cohorts/new/", views_cohorts.cohort_new, name="cohort_new"),
    path("cohorts/<int:pk>/", views_cohorts.cohort_dashboard, name="cohort"),
    path("cohorts/<int:pk>/enrol/", views_cohorts.cohort_enrol, name="cohort_enrol"),
    path("cohorts/<int:pk>/nudge/", views_cohorts.cohort_nudge, name="cohort_nudge"),
    path("cohorts/<int:pk>/export.csv", views_cohorts.cohort_export, name="cohort_export"),
    # Doing a path (candidates and learners)
    path("learn/", views_path.my_programs, name="my_programs"),
    path("learn/<int:cohort_pk>/", views_path.my_path, name="my_path"),
    path("learn/<int:cohort_pk>/steps/<int:step_pk>/", views_path.step, name="step"),
    path(
        "learn/<int:cohort_pk>/steps/<int:step_pk>/quiz/", views_path.quiz_start, name="quiz_start"
    ),
    path("attempts/<int:pk>/", views_path.attempt, name="attempt"),
    path("evidence/<int:pk>/", views_path.evidence_download, name="evidence"),
    # Reviewing (master trainers, mentors, managers)
    path("review/", views_review.review_queue, name="review_queue"),
    path("review/<int:pk>/", views_review.review, name="review"),
]
