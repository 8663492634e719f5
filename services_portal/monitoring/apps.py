from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "services_portal.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from services_portal.monitoring import logs, metrics

        metrics.portal_collector_register()
        logs.log_context_connect()
