from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

DEMO_ADMIN = "admin"
DEMO_PASSWORD = "admin-demo-2026"  # noqa: S105 - embedded demo only; refused in production below


class Command(BaseCommand):
    help = "Load the catalog and the demo data into an embedded (local) portal. Safe to run again."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("demo_setup is for the embedded portal only; use catalog_import in production.")
        call_command("catalog_import", str(settings.CATALOG_DATA_FILE), stdout=self.stdout, stderr=self.stderr)
        user_model = get_user_model()
        if not user_model.objects.filter(username=DEMO_ADMIN).exists():
            user_model.objects.create_superuser(DEMO_ADMIN, password=DEMO_PASSWORD, region_scope="450000")
        self.stdout.write(
            f"Demo ready. Portal: http://127.0.0.1:8000/  Admin: /admin/ as {DEMO_ADMIN} / {DEMO_PASSWORD}"
        )
