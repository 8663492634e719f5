from django.urls import path

from services_portal.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.service_list_page, name="service_list"),
    path("bundles/<slug:code>/", views.bundle_detail_page, name="bundle_detail"),
    path("<slug:code>/", views.service_detail_page, name="service_detail"),
]
