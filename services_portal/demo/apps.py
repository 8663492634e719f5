from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demonstration data: it stands on every floor, so it lives at the top, beside the URL map."""

    name = "services_portal.demo"
    label = "demo"
    verbose_name = _("Demonstration data")
