from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "services_portal.core"
    label = "core"
