"""Casework pages, mounted at the site root: the caseworker's /casework/ and the person's /me/cases/.

The notification of a decision links to /me/cases/<id>/ (casework/services.py).
"""

from django.urls import path

from services_portal.casework import views

app_name = "casework"
urlpatterns = [
    path("casework/", views.queue_page, name="queue"),
    path("casework/<int:case_id>/", views.case_page, name="case"),
    path("me/cases/", views.my_cases_page, name="my_cases"),
    path("me/cases/<int:case_id>/", views.my_case_page, name="my_case"),
]
