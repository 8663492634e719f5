from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from profiles import hooks
from services_portal.counter import hooks as counter_hooks


class CaseworkConfig(AppConfig):
    name = "services_portal.casework"
    label = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        # why inside: the services import the models, which load only after the app configs
        from services_portal.casework import counter_desk
        from services_portal.casework import hooks as casework_hooks
        from services_portal.casework.materials import materials_account_closed
        from services_portal.casework.services import (
            cases_account_closed,
            cases_consent_withdrawn,
            cases_people_reassess,
            review_case_event,
            reviews_people_reassess,
        )

        hooks.on_consent_withdrawn.register(cases_consent_withdrawn)
        hooks.on_account_closed.register(cases_account_closed)
        hooks.on_account_closed.register(materials_account_closed)
        hooks.on_people_reassess.register(cases_people_reassess)
        # re-assessment (动态认定): benefits in force whose holders no longer meet the criteria
        hooks.on_people_reassess.register(reviews_people_reassess)
        casework_hooks.on_case_event.register(review_case_event)
        # applying for the person at the counter desk
        counter_hooks.application_form_at_counter.register(counter_desk.desk_application_form)
        counter_hooks.application_at_counter.register(counter_desk.desk_application_submit)
        counter_hooks.application_receipt_at_counter.register(counter_desk.desk_application_receipt)
        counter_hooks.open_cases_at_counter.register(counter_desk.desk_open_cases)
