from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "services_portal.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        from services_portal.monitoring import logs, metrics

        metrics.portal_collector_register()
        logs.log_context_connect()
