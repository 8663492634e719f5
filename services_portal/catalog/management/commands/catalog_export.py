import sys

import yaml
from django.core.management.base import BaseCommand

from services_portal.catalog.selectors import catalog_export


class Command(BaseCommand):
    help = "Export the whole catalog in the import format (YAML) to a file, or to standard output with '-'."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default="-")

    def handle(self, *args, path, **options):
        text = yaml.safe_dump(catalog_export(), allow_unicode=True, sort_keys=False, width=120)
        if path == "-":
            sys.stdout.write(text)
        else:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stdout.write(f"Wrote {path}.")
