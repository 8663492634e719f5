from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from profiles import hooks


class CatalogConfig(AppConfig):
    name = "services_portal.catalog"
    label = "catalog"
    verbose_name = _("Service catalog")

    def ready(self) -> None:
        # why inside: these modules import the catalog's models, which load only after the app configs
        from services_portal.catalog.life_events import citizen_tags
        from services_portal.catalog.selectors import department_names

        # profiles shows the life-event tags and department names, which the catalog holds
        hooks.life_event_tags.register(citizen_tags)
        hooks.department_names.register(department_names)
