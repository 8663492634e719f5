"""Words of the libraries' admin pages (django-qsessions, django-axes) that our catalogue translates.

Their own catalogues have no Chinese for these. Nothing imports this module: it is here so that
`make messages` (makemessages --no-obsolete) keeps the strings and their translations in
locale/zh_Hans. tests/core/test_admin_labels.py fails if one of them goes untranslated.
"""

from django.utils.translation import gettext_noop

LIBRARY_MESSAGES = (
    # django-qsessions
    gettext_noop("Sessions"),
    gettext_noop("session"),
    gettext_noop("sessions"),
    gettext_noop("session key"),
    gettext_noop("Session data"),
    gettext_noop("expire date"),
    gettext_noop("Device"),
    gettext_noop("IP"),
    gettext_noop("Is valid"),
    gettext_noop("Location"),
    gettext_noop("user agent"),
    # django-axes
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access logs"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Time"),
    gettext_noop("Failed Logins"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Logout Time"),
    gettext_noop("POST Data"),
    gettext_noop("Status"),
    gettext_noop("User Agent"),
)
