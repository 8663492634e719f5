from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounterConfig(AppConfig):
    name = "services_portal.counter"
    label = "counter"
    verbose_name = _("Service counter")

    def ready(self) -> None:
        from profiles import hooks
        from services_portal.counter.services import outreach_account_closed

        hooks.on_account_closed.register(outreach_account_closed)
