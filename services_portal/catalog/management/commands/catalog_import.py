from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from services_portal.catalog.services import catalog_file_read, catalog_import
from services_portal.core.errors import PortalError


class Command(BaseCommand):
    help = "Import (create or update) the catalog from a YAML or JSON file; bad rows are reported and skipped."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(settings.CATALOG_DATA_FILE))
        parser.add_argument("--strict", action="store_true", help="Exit with an error when any row was refused.")

    def handle(self, *args, path, strict, **options):
        try:
            report = catalog_import(data=catalog_file_read(path))
        except PortalError as error:
            raise CommandError(error.message) from None
        created = ", ".join(f"{k} {v}" for k, v in report.created.items()) or "none"
        updated = ", ".join(f"{k} {v}" for k, v in report.updated.items()) or "none"
        self.stdout.write(f"Catalog {report.version}: created {created}; updated {updated}.")
        for problem in report.problems:
            self.stderr.write(f"refused {problem.section} row {problem.row} ({problem.code or '?'}): {problem.reason}")
        if report.problems and strict:
            raise CommandError(f"{len(report.problems)} rows were refused.")
