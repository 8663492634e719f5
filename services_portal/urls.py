from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from services_portal.catalog import views as catalog_views
from services_portal.core import views as core_views
from services_portal.core import webapp

# The administration is named after the portal, in the reader's language (not "Django site admin").
admin.site.site_header = admin.site.site_title = format_lazy(_("{portal} administration"), portal=settings.PORTAL_NAME)
admin.site.index_title = _("Catalog, people, cases and records")

api_v1 = [
    path("", include("services_portal.catalog.api")),
    path("", include("services_portal.screener.api")),
    path("", include("profiles.api")),
    path("", include("services_portal.feeds.api")),
    path("", include("services_portal.casework.api")),
    path("", include("services_portal.ratings.api")),
    path("", include("services_portal.notifications.api")),
    path("", include("services_portal.payments.api")),
    path("", include("recommender.api")),
]

# The home page shows the catalog; "core" keeps the names the templates have always used.
core_urls = [
    path("", catalog_views.home_page, name="home"),
    path("healthz", core_views.health, name="health"),
    # the installable web app: at the root, so that the service worker's scope is the whole site
    path("manifest-<str:language>.webmanifest", webapp.manifest, name="manifest"),
    path("sw.js", webapp.service_worker, name="service_worker"),
    path("offline/", webapp.offline, name="offline"),
]

urlpatterns = [
    path("", include((core_urls, "core"))),
    path("", include("profiles.urls")),
    path("", include("services_portal.casework.urls")),
    path("", include("services_portal.ratings.urls")),
    path("", include("services_portal.notifications.urls")),
    path("", include("services_portal.payments.urls")),
    path("", include("services_portal.reach.urls")),
    path("", include("recommender.urls")),
    path("", include("services_portal.monitoring.urls")),
    path("services/", include("services_portal.catalog.urls")),
    path("screener/", include("services_portal.screener.urls")),
    path("counter/", include("services_portal.counter.urls")),
    path("display/", include("accessibility.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's own script is served as a file (the split view); its styles and icons are inline
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"], "img-src": ["data:"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
]

handler400 = "services_portal.core.views.bad_request"
handler404 = "services_portal.core.views.not_found"
handler500 = "services_portal.core.views.server_error"
