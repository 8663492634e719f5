from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from profiles import hooks as profiles_hooks
from services_portal.casework import hooks as casework_hooks


class PaymentsConfig(AppConfig):
    name = "services_portal.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        # why inside: the services import the models, which load only after the app configs
        from services_portal.payments.parts import case_payments_part, payments_export_section
        from services_portal.payments.services import payments_account_closed, payments_case_event

        casework_hooks.on_case_event.register(payments_case_event)
        casework_hooks.case_page_parts.register(case_payments_part)
        profiles_hooks.on_account_closed.register(payments_account_closed)
        profiles_hooks.export_sections.register(payments_export_section)
