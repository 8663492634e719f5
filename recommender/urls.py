"""The "for you" page, mounted at the site root: /me/for-you/; the public algorithm page, /algorithm/."""

from django.urls import path

from recommender import transparency_views, views

app_name = "recommender"
urlpatterns = [
    path("me/for-you/", views.for_you_page, name="for_you"),
    path("me/for-you/feedback/", views.feedback_page, name="feedback"),
    path("algorithm/", transparency_views.algorithm_page, name="algorithm"),
    path(
        "algorithm/evaluation-report.zip",
        transparency_views.evaluation_report_download,
        name="algorithm_evaluation_report",
    ),
]
