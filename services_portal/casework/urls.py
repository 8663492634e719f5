"""Casework pages, mounted at the site root: the caseworker's /casework/ and the person's /me/cases/.

The notification of a decision links to /me/cases/<id>/ (casework/services.py).
"""

from django.urls import path

from services_portal.casework import views, views_apply, views_files

app_name = "casework"
urlpatterns = [
    path("casework/", views.queue_page, name="queue"),
    path("casework/<int:case_id>/", views.case_page, name="case"),
    path("me/cases/", views.my_cases_page, name="my_cases"),
    path("me/cases/<int:case_id>/", views.my_case_page, name="my_case"),
    path("me/applications/<int:application_id>/", views_apply.my_application_page, name="my_application"),
    path("services/<slug:code>/apply/", views_apply.apply_service_page, name="apply_service"),
    path("bundles/<slug:code>/apply/", views_apply.apply_bundle_page, name="apply_bundle"),
    path("me/files/<int:file_id>/", views_files.material_file_mine, name="material_file_mine"),
    path("casework/files/<int:file_id>/", views_files.material_file, name="material_file"),
]
