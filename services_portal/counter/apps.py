from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounterConfig(AppConfig):
    name = "services_portal.counter"
    label = "counter"
    verbose_name = _("Service counter")
