from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = _("Citizens and profiles")

    def ready(self) -> None:
        from profiles.services.sessions import session_age_on_sign_in  # models are loaded only now

        # Django's own sign-in hook: every way of signing in sets the session's age by role.
        user_logged_in.connect(session_age_on_sign_in, dispatch_uid="profiles.session_age")
