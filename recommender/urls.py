"""The "for you" page, mounted at the site root: /me/for-you/."""

from django.urls import path

from recommender import views

app_name = "recommender"
urlpatterns = [
    path("me/for-you/", views.for_you_page, name="for_you"),
    path("me/for-you/feedback/", views.feedback_page, name="feedback"),
]
