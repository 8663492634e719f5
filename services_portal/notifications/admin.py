"""The push outbox for administrators, read only: what went out, through which channel, and what failed."""

from django.contrib import admin
from django.http import HttpRequest

from profiles.admin import PersonReadLoggedAdmin, ReadOnlyAdmin
from profiles.permissions import allowed
from services_portal.notifications.models import Delivery, Fanout, Push


class PushReadPolicy:
    """Administrators read the outbox; the policy lives in profiles.permissions."""

    def _may_read(self, request: HttpRequest, *args) -> bool:
        return allowed(request.user, "push.read")

    has_module_permission = has_view_permission = _may_read


class DeliveryInline(PushReadPolicy, admin.TabularInline):
    model = Delivery
    fields = ("channel", "state", "attempts", "external_id", "last_error", "created_at", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Push)
class PushAdmin(PushReadPolicy, PersonReadLoggedAdmin, ReadOnlyAdmin):
    """The list names the person by the record's number only; opening a push shows what was said to
    them, and is logged as a read of their data."""

    person_fields = ("resident_id_masked", "push")

    list_display = ["idempotency_key", "trigger", "service", "essential", "created_at", "not_before", "routed_at"]
    list_filter = ["trigger", "essential"]
    list_select_related = ["service"]
    search_fields = ["idempotency_key"]
    readonly_fields = [field.name for field in Push._meta.fields]
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(PushReadPolicy, ReadOnlyAdmin):
    list_display = ["push", "channel", "state", "attempts", "external_id", "last_error", "updated_at"]
    list_filter = ["channel", "state"]
    list_select_related = ["push"]
    search_fields = ["push__idempotency_key", "external_id"]
    readonly_fields = [field.name for field in Delivery._meta.fields]


@admin.register(Fanout)
class FanoutAdmin(PushReadPolicy, ReadOnlyAdmin):
    list_display = ["key", "service", "created_at", "dispatched_at"]
    list_select_related = ["service"]
    readonly_fields = [field.name for field in Fanout._meta.fields]
