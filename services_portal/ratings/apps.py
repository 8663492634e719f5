from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from profiles import hooks
from services_portal.casework import hooks as casework_hooks


class RatingsConfig(AppConfig):
    name = "services_portal.ratings"
    label = "ratings"
    verbose_name = _("Ratings")

    def ready(self) -> None:
        # why inside: these modules import the models, which load only after the app configs
        from services_portal.ratings.selectors import ratings_export_sections
        from services_portal.ratings.services import ratings_account_closed
        from services_portal.ratings.views import case_rating_part

        casework_hooks.case_page_parts.register(case_rating_part)
        hooks.on_account_closed.register(ratings_account_closed)
        hooks.export_sections.register(ratings_export_sections)
