from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecommenderConfig(AppConfig):
    name = "recommender"
    verbose_name = _("Recommender")

    def ready(self) -> None:
        from profiles import hooks
        from recommender.services.personal_data import (
            recommender_account_closed,
            recommender_consent_withdrawn,
            recommender_personalisation_stopped,
        )

        hooks.on_consent_withdrawn.register(recommender_consent_withdrawn)
        hooks.on_personalisation_stopped.register(recommender_personalisation_stopped)
        hooks.on_account_closed.register(recommender_account_closed)
