"""Inbox API: a citizen's notifications, in the language of the request, and marking them read."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.permissions import Allowed
from profiles.requests import AuthenticatedRequest
from profiles.selectors import citizen_of
from services_portal.core.api import ErrorSerializer
from services_portal.core.i18n import active_suffix
from services_portal.notifications.models import Notification
from services_portal.notifications.selectors import inbox_for
from services_portal.notifications.services import notification_mark_read


class NotificationOutput(serializers.Serializer):
    """Each notification is written in both languages when it is made; this is the request's one."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    title = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    link = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)

    def get_title(self, notification: Notification) -> str:
        return getattr(notification, f"title_{active_suffix()}") or notification.title_zh

    def get_body(self, notification: Notification) -> str:
        return getattr(notification, f"body_{active_suffix()}") or notification.body_zh


class InboxInput(serializers.Serializer):
    unread = serializers.BooleanField(required=False, default=False, help_text="Only those not read yet")


class InboxApi(ListAPIView):
    """My notifications, newest first, in the language of the request (Accept-Language or the site's)."""

    permission_classes = [Allowed.to("self.manage")]
    serializer_class = NotificationOutput
    request: AuthenticatedRequest

    @extend_schema(tags=["me"], parameters=[InboxInput])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Notification.objects.none()
        params = InboxInput(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return inbox_for(citizen_of(self.request.user), unread_only=params.validated_data["unread"])


class NotificationReadApi(APIView):
    """Mark one of my notifications read (again changes nothing)."""

    permission_classes = [Allowed.to("self.manage")]

    @extend_schema(
        tags=["me"], request=None, responses={200: NotificationOutput, 403: ErrorSerializer, 404: ErrorSerializer}
    )
    def post(self, request, notification_id: int):
        notification = notification_mark_read(citizen=citizen_of(request.user), notification_id=notification_id)
        return Response(NotificationOutput(notification).data)


urlpatterns = [
    path("me/inbox/", InboxApi.as_view(), name="api-me-inbox"),
    path("me/inbox/<int:notification_id>/read/", NotificationReadApi.as_view(), name="api-me-inbox-read"),
]
