import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services_portal.settings")
application = get_wsgi_application()

from services_portal.core.startup import web_process_ready  # noqa: E402

web_process_ready()
