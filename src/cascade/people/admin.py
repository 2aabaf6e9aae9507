"""The operators' admin (never needed by users)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from cascade.people.models import AccessToken, OrgUnit, Person, RoleAssignment


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0


@admin.register(Person)
class PersonAdmin(UserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "org_unit", "is_active", "is_staff"]
    search_fields = ["email", "display_name"]
    list_filter = ["is_active", "is_staff", "region"]
    raw_id_fields = ["manager", "org_unit"]
    inlines = [RoleInline]
    fieldsets = (
        (None, {"fields": ("email", "password", "display_name")}),
        (
            "Profile",
            {
                "fields": (
                    "job_title",
                    "org_unit",
                    "manager",
                    "region",
                    "location",
                    "languages",
                    "time_zone",
                    "language",
                )
            },
        ),
        (
            "Access",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "last_login",
                    "date_joined",
                    "invited_at",
                    "deactivated_at",
                )
            },
        ),
    )
    add_fieldsets = ((None, {"fields": ("email", "display_name", "password1", "password2")}),)


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "parent", "path"]
    search_fields = ["name", "code"]
    readonly_fields = ["path", "depth"]


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "person", "prefix", "scope", "created_at", "revoked_at"]
    readonly_fields = ["key_hash", "prefix"]
    raw_id_fields = ["person"]
