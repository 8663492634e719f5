from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _

from profiles import hooks


class CounterConfig(AppConfig):
    name = "services_portal.counter"
    label = "counter"
    verbose_name = _("Service counter")

    def ready(self) -> None:
        # why inside: the services import the models, which load only after the app configs
        from services_portal.counter.pdf import checklist_font_check
        from services_portal.counter.services import outreach_account_closed

        hooks.on_account_closed.register(outreach_account_closed)
        checks.register(checklist_font_check)
