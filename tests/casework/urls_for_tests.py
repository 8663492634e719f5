"""The site's URLs plus the casework and inbox pages, until services_portal/urls.py mounts them."""

from django.urls import include, path

from services_portal.urls import handler404, handler500  # noqa: F401
from services_portal.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    *site_urlpatterns,
    path("", include("services_portal.casework.urls")),
    path("", include("services_portal.notifications.urls")),
]
