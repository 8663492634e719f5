from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from profiles import hooks


class CaseworkConfig(AppConfig):
    name = "services_portal.casework"
    label = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        # why inside: the services import the models, which load only after the app configs
        from services_portal.casework.services import (
            cases_account_closed,
            cases_consent_withdrawn,
            cases_people_reassess,
        )

        hooks.on_consent_withdrawn.register(cases_consent_withdrawn)
        hooks.on_account_closed.register(cases_account_closed)
        hooks.on_people_reassess.register(cases_people_reassess)
