from __future__ import annotations

from django.contrib import admin

from cascade.core.models import AuditEntry, Notification


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "target_type", "target_id", "ip"]
    list_filter = ["action"]
    raw_id_fields = ["actor"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # append-only


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "email_status", "read_at"]
    list_filter = ["kind", "email_status"]
    raw_id_fields = ["recipient"]
