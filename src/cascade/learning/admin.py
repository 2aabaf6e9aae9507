"""Operators' admin for the learning area (users never need it)."""

from __future__ import annotations

from django.contrib import admin

from cascade.learning.models import Cohort, Enrolment, Program, ProgramVersion, Question, Step


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "audience", "org_unit", "created_at"]
    search_fields = ["title", "slug"]


@admin.register(ProgramVersion)
class ProgramVersionAdmin(admin.ModelAdmin):
    list_display = ["program", "number", "status", "published_at"]
    list_filter = ["status"]


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "version", "position", "required"]
    list_filter = ["kind"]
    search_fields = ["title"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["prompt", "kind", "program", "topic", "bloom_level", "archived"]
    list_filter = ["kind", "bloom_level", "archived"]
    search_fields = ["prompt"]


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "program", "version", "start_date", "status"]
    filter_horizontal = ["master_trainers"]


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["person", "cohort", "version", "status", "enrolled_at"]
    list_filter = ["status"]
    raw_id_fields = ["person", "mentor"]
