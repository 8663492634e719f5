"""Where applicants' materials are kept: a storage of their own, outside MEDIA_ROOT and with no URL, so
that nothing serves a file except the view that checks who asks (and logs staff reads)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.module_loading import import_string


def private_storage() -> Storage:
    """Chosen by settings.PRIVATE_STORAGE (a dotted path; the file system under PRIVATE_MEDIA_ROOT by default)."""
    backend = getattr(settings, "PRIVATE_STORAGE", "")
    if backend:
        return import_string(backend)()
    return FileSystemStorage(
        location=settings.PRIVATE_MEDIA_ROOT,
        base_url=None,
        directory_permissions_mode=0o700,
        file_permissions_mode=0o600,
    )


def material_path(instance: Any, filename: str) -> str:
    """A name that says nothing of the person or the file: the application and a random id."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"applications/{instance.application_id}/{uuid.uuid4().hex}.{extension}"
