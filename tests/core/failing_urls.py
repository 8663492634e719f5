from django.urls import path


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), path("api/boom/", boom)]
handler500 = "services_portal.core.views.server_error"
