from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from profiles import hooks
from services_portal.casework import hooks as casework_hooks
from services_portal.catalog import hooks as catalog_hooks
from services_portal.counter import hooks as counter_hooks
from services_portal.notifications import hooks as notifications_hooks


class RecommenderConfig(AppConfig):
    name = "recommender"
    verbose_name = _("Recommender")

    def ready(self) -> None:
        # why inside: these modules import the models, which load only after the app configs
        from recommender.selectors import citizens_used_online_since, desk_suggestions
        from recommender.services.interactions import interaction_case_event, interaction_service_viewed
        from recommender.services.personal_data import (
            recommender_account_closed,
            recommender_consent_withdrawn,
            recommender_export_sections,
            recommender_personalisation_stopped,
        )

        hooks.on_consent_withdrawn.register(recommender_consent_withdrawn)
        hooks.on_personalisation_stopped.register(recommender_personalisation_stopped)
        hooks.on_account_closed.register(recommender_account_closed)
        hooks.export_sections.register(recommender_export_sections)
        # what the lower apps ask of the recommender: its interaction log and its "for you" list
        catalog_hooks.on_service_viewed.register(interaction_service_viewed)
        counter_hooks.desk_suggestions.register(desk_suggestions)
        notifications_hooks.used_online_since.register(citizens_used_online_since)
        # applying and completing, online or at the counter, from the cases' history
        casework_hooks.on_case_event.register(interaction_case_event)
