from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "services_portal.casework"
    label = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        from profiles import hooks
        from services_portal.casework.services import cases_account_closed, cases_consent_withdrawn

        hooks.on_consent_withdrawn.register(cases_consent_withdrawn)
        hooks.on_account_closed.register(cases_account_closed)
