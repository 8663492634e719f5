from django.urls import path

from services_portal.screener import views

app_name = "screener"
urlpatterns = [path("", views.screener_page, name="start")]
