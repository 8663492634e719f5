"""Rating pages, mounted at the site root: the applicant's /me/cases/<id>/rating/, the caseworkers'
/casework/follow-ups/ and the satisfaction figures beside the other audit pages, /audit/satisfaction/."""

from django.urls import path

from services_portal.ratings import views

app_name = "ratings"
urlpatterns = [
    path("me/cases/<int:case_id>/rating/", views.rating_page, name="rate"),
    path("casework/follow-ups/", views.follow_ups_page, name="follow_ups"),
    path("casework/follow-ups/<int:follow_up_id>/", views.follow_up_page, name="follow_up"),
    path("audit/satisfaction/", views.satisfaction_page, name="satisfaction"),
]
