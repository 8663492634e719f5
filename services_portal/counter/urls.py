"""The counter desk's pages, under /counter/.

A person's pages carry a visit handle held in the staff member's session, never an ID number or
the record's id (visits.py).
"""

from django.urls import path

from services_portal.counter import views

app_name = "counter"
urlpatterns = [
    path("", views.lookup_page, name="lookup"),
    path("visit/<str:handle>/", views.person_page, name="person"),
    path("visit/<str:handle>/apply/", views.apply_page, name="apply"),
    path("visit/<str:handle>/applications/<int:application_id>/", views.receipt_page, name="receipt"),
    path("visit/<str:handle>/facts/", views.facts_page, name="facts"),
    path("visit/<str:handle>/consents/", views.consents_page, name="consents"),
    path("visit/<str:handle>/checklist/", views.checklist_page, name="checklist"),
    path("visit/<str:handle>/checklist.pdf", views.checklist_pdf_download, name="checklist_pdf"),
    path("visit/<str:handle>/end/", views.end_visit, name="end_visit"),
    path("visit/<str:handle>/activation-code/", views.activation_code_page, name="activation_code"),
    path("walk-in/", views.walk_in_page, name="walk_in"),
    path("outreach/", views.outreach_page, name="outreach"),
    path("outreach/<int:task_id>/", views.outreach_task_page, name="outreach_task"),
    path("outreach/<int:task_id>/visit/", views.outreach_visit, name="outreach_visit"),
]
