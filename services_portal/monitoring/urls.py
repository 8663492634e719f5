from django.urls import path

from services_portal.monitoring.health import PortalHealthView
from services_portal.monitoring.views import metrics_view

app_name = "monitoring"
urlpatterns = [
    path("metrics", metrics_view, name="metrics"),
    path("health/", PortalHealthView.as_view(), name="health"),
]
