"""The operator's view: /oversight/ (the operator's own scope), /oversight/<region>/ and its exports."""

from django.urls import path, register_converter

from services_portal.reach import views


class RegionCodeConverter:
    regex = "[0-9]{6}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ExportFormatConverter(RegionCodeConverter):
    regex = "csv|json"


register_converter(RegionCodeConverter, "region")
register_converter(ExportFormatConverter, "export_format")

app_name = "reach"
urlpatterns = [
    path("oversight/", views.oversight_page, name="oversight"),
    path("oversight/<region:region_code>/", views.oversight_page, name="oversight_region"),
    path(
        "oversight/<region:region_code>/<slug:table>.<export_format:fmt>",
        views.oversight_export,
        name="oversight_export",
    ),
]
