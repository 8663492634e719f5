from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "services_portal.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from profiles import hooks
        from services_portal.notifications.services.identity import identity_notice_enqueue
        from services_portal.notifications.services.personal_data import (
            notifications_account_closed,
            pushes_consent_withdrawn,
        )

        hooks.on_consent_withdrawn.register(pushes_consent_withdrawn)
        hooks.on_account_closed.register(notifications_account_closed)
        hooks.on_identity_notice.register(identity_notice_enqueue)
