from django.urls import path

from accessibility import views

app_name = "accessibility"
urlpatterns = [
    path("elder-mode/", views.elder_mode_set, name="elder_mode"),
    path("text-size/", views.text_size_set, name="text_size"),
]
