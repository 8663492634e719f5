from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreenerConfig(AppConfig):
    name = "services_portal.screener"
    label = "screener"
    verbose_name = _("Eligibility screener")
