from django.urls import path

from services_portal.screener import views

app_name = "screener"
urlpatterns = [
    path("", views.screener_start, name="start"),
    path("step/<int:number>/", views.screener_step, name="step"),
    path("check/", views.screener_check, name="check"),
    path("results/", views.screener_results, name="results"),
    path("more/", views.screener_more, name="more"),
]
