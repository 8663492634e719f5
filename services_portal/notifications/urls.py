"""The person's inbox, mounted at the site root: /me/inbox/."""

from django.urls import path

from services_portal.notifications import views

app_name = "notifications"
urlpatterns = [
    path("me/inbox/", views.inbox_page, name="inbox"),
    path("me/inbox/<int:notification_id>/read/", views.notification_read, name="read"),
    path("me/inbox/<int:notification_id>/open/", views.notification_open, name="open"),
]
