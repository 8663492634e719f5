"""The consent notices shipped with the portal. A new text is a new version, never an edit."""

from pathlib import Path

import yaml
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from profiles.models import ConsentNotice

DATA_FILE = Path(__file__).parent / "data" / "consent_notices.yaml"


def consent_notices_load(model=None, *, using: str = DEFAULT_DB_ALIAS) -> int:
    """Create the notices the data file has and the database lacks; returns how many were new. A migration
    passes its own connection (`using`): it may run as the owner role, on a connection of its own."""
    model = model or ConsentNotice
    created = 0
    for entry in yaml.safe_load(DATA_FILE.read_text(encoding="utf-8")):
        _, new = model.objects.using(using).get_or_create(
            purpose=entry["purpose"],
            version=entry["version"],
            defaults={"text_zh": entry["zh-hans"], "text_en": entry["en"], "published_at": timezone.now()},
        )
        created += new
    return created
