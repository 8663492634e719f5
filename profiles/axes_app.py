"""django-axes (failed sign-ins and lock-outs) named in the portal's languages in the administration.

Not in profiles/apps.py: Django picks an app's config by its apps.py holding exactly one AppConfig subclass.
"""

from axes.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AppConfig):
    verbose_name = _("Sign-in attempts")
