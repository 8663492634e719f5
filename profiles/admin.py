"""The administration of people and staff. Reading a citizen here is logged like any other read;
the consent ledger and the access log can be read but never changed."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from profiles.models import AccessChannel, AccessLogEntry, AccessPurpose, Citizen, ConsentEvent, FactValue, User
from profiles.permissions import allowed, in_scope
from profiles.services.access import access_record


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ["username", "role", "region_scope", "department", "is_active"]
    list_filter = ["role", "is_active"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (_("Portal role"), {"fields": ["role", "region_scope", "department"]}),
    ]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class FactValueInline(admin.TabularInline):
    model = FactValue
    fields = ["key", "value", "source", "department", "observed_at", "recorded_at", "superseded_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Citizen)
class CitizenAdmin(ReadOnlyAdmin):
    """The list shows no personal data; opening a record needs the right role and scope, and is logged."""

    list_display = ["id", "region_code", "created_at", "erased_at"]
    list_filter = ["erased_at"]
    fields = ["resident_id_masked", "name", "phone", "region_code", "guardian", "personalisation_enabled", "created_at"]
    readonly_fields = fields
    inlines = [FactValueInline]

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is None:
            return request.user.is_superuser or allowed(request.user, "citizen.read")
        return allowed(request.user, "citizen.read") and in_scope(request.user, obj.region_code)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        citizen = self.get_object(request, object_id)
        if citizen is not None and self.has_view_permission(request, citizen):
            access_record(
                actor=request.user,
                subject=citizen,
                fields=["resident_id_masked", "name", "phone", "region_code", "facts"],
                purpose=AccessPurpose.SUPPORT,
                channel=AccessChannel.ADMIN,
                request_id=getattr(request, "request_id", ""),
            )
        return super().change_view(request, object_id, form_url, extra_context)


class AuditRecordAdmin(ReadOnlyAdmin):
    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return allowed(request.user, "access_log.search")

    has_module_permission = has_view_permission


@admin.register(ConsentEvent)
class ConsentEventAdmin(AuditRecordAdmin):
    list_display = ["citizen", "purpose", "granted", "notice", "channel", "witness", "created_at"]
    list_filter = ["purpose", "granted", "channel"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(AuditRecordAdmin):
    list_display = ["created_at", "actor", "actor_role", "subject", "purpose", "channel", "request_id"]
    list_filter = ["purpose", "channel", "actor_role"]
