"""The administration of people and staff. Reading a citizen here is logged like any other read;
the consent ledger and the access log can be read but never changed."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from knox.admin import AuthTokenAdmin
from knox.models import AuthToken

from profiles.models import (
    AccessChannel,
    AccessLogEntry,
    AccessPurpose,
    AppSignInToken,
    Citizen,
    ConsentEvent,
    FactValue,
    User,
)
from profiles.permissions import allowed, in_scope, purpose_allowed
from profiles.services.access import citizen_read_for


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ["username", "role", "region_scope", "department", "is_active"]
    list_filter = ["role", "is_active"]
    fieldsets = [
        *(UserAdmin.fieldsets or ()),
        (_("Portal role"), {"fields": ["role", "region_scope", "department"]}),
    ]


class AppSignInTokenAdmin(AuthTokenAdmin):
    """knox's own admin, on the proxy that names its model in the portal's languages, with its columns and
    fields named too (knox's fields have no verbose names)."""

    labels = {
        "digest": _("token digest"),
        "user": _("user"),
        "created": _("created at"),
        "expiry": _("expires at"),
    }
    list_display = ("token_digest", "token_user", "token_created", "token_expiry")

    @admin.display(description=labels["digest"], ordering="digest")
    def token_digest(self, token: AuthToken) -> str:
        return token.digest

    @admin.display(description=labels["user"], ordering="user")
    def token_user(self, token: AuthToken) -> str:
        return str(token.user)

    @admin.display(description=labels["created"], ordering="created")
    def token_created(self, token: AuthToken) -> Any:
        return token.created

    @admin.display(description=labels["expiry"], ordering="expiry")
    def token_expiry(self, token: AuthToken) -> Any:
        return token.expiry

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and db_field.name in self.labels:
            formfield.label = self.labels[db_field.name]
        return formfield


admin.site.unregister(AuthToken)
admin.site.register(AppSignInToken, AppSignInTokenAdmin)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def admin_purpose(user: User) -> AccessPurpose | None:
    """The purpose a read in the administration is logged with: support for administrators, audit for
    auditors (profiles.permissions.PURPOSES)."""
    for purpose in (AccessPurpose.SUPPORT, AccessPurpose.AUDIT):
        if purpose_allowed(user, purpose):
            return purpose
    return None


class PersonReadLoggedAdmin(admin.ModelAdmin):
    """A change page that shows a person's data: opening it is a read of the person, logged like any
    other (channel admin). Lists show no personal data (at most the record's number), so are not logged."""

    # what of the person the page shows, as the access log names it
    person_fields: tuple[str, ...] = ()

    def person_of(self, obj: Any) -> Citizen | None:
        return obj.citizen

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        purpose = admin_purpose(request.user)
        person = self.person_of(obj) if obj is not None else None
        if person is not None and purpose is not None and self.has_view_permission(request, obj):
            citizen_read_for(
                request.user,
                citizen=person,
                fields=self.person_fields,
                purpose=purpose,
                channel=AccessChannel.ADMIN,
                request_id=getattr(request, "request_id", ""),
            )
        return super().change_view(request, object_id, form_url, extra_context)


class FactValueInline(admin.TabularInline):
    model = FactValue
    fields = ("key", "value", "source", "department", "observed_at", "recorded_at", "superseded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Citizen)
class CitizenAdmin(PersonReadLoggedAdmin, ReadOnlyAdmin):
    """The list shows no personal data; opening a record needs the right role and scope, and is logged."""

    list_display = ["id", "region_code", "created_at", "erased_at"]
    list_filter = ["erased_at"]
    fields = ("resident_id_masked", "name", "phone", "region_code", "guardian", "personalisation_enabled", "created_at")
    readonly_fields = fields
    inlines = [FactValueInline]
    person_fields = ("resident_id_masked", "name", "phone", "region_code", "facts")

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is None:
            return request.user.is_superuser or allowed(request.user, "citizen.read")
        return allowed(request.user, "citizen.read") and in_scope(request.user, obj.region_code)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def person_of(self, obj: Citizen) -> Citizen:
        return obj


class AuditRecordAdmin(PersonReadLoggedAdmin, ReadOnlyAdmin):
    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return allowed(request.user, "access_log.search")

    has_module_permission = has_view_permission


@admin.register(ConsentEvent)
class ConsentEventAdmin(AuditRecordAdmin):
    # the person by the record's number only: the masked ID number shows on the (logged) change page
    list_display = ["person_number", "purpose", "granted", "notice", "channel", "witness", "created_at"]
    list_filter = ["purpose", "granted", "channel"]
    person_fields = ("resident_id_masked", "consents")

    @admin.display(description=_("person's record number"), ordering="citizen_id")
    def person_number(self, event: ConsentEvent) -> int:
        return event.citizen_id


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(AuditRecordAdmin):
    list_display = ["created_at", "actor", "actor_role", "person_number", "purpose", "channel", "request_id"]
    list_filter = ["purpose", "channel", "actor_role"]
    person_fields = ("resident_id_masked", "access_log")

    @admin.display(description=_("person's record number"), ordering="subject_id")
    def person_number(self, entry: AccessLogEntry) -> int:
        return entry.subject_id

    def person_of(self, obj: AccessLogEntry) -> Citizen:
        return obj.subject
