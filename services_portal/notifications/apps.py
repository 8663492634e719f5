from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from profiles import hooks
from services_portal.catalog import hooks as catalog_hooks


class NotificationsConfig(AppConfig):
    name = "services_portal.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # why inside: these modules import the models, which load only after the app configs
        from services_portal.notifications.services.identity import identity_notice_enqueue
        from services_portal.notifications.services.personal_data import (
            notifications_account_closed,
            pushes_consent_withdrawn,
        )
        from services_portal.notifications.services.triggers import facts_recorded, service_published

        hooks.on_consent_withdrawn.register(pushes_consent_withdrawn)
        hooks.on_account_closed.register(notifications_account_closed)
        hooks.on_identity_notice.register(identity_notice_enqueue)
        # the pushes that new facts and newly published services set off
        hooks.on_facts_recorded.register(facts_recorded)
        catalog_hooks.on_service_published.register(service_published)
