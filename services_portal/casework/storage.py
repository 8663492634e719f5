"""Where applicants' materials are kept: a storage of their own, outside MEDIA_ROOT and with no URL, so
that nothing serves a file except the view that checks who asks (and logs staff reads)."""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.module_loading import import_string


class PrivateFileSystemStorage(FileSystemStorage):
    """The file system under settings.PRIVATE_MEDIA_ROOT, read each time it is used (the field's storage is
    made once, when the models load), readable by the portal's own user only, and without URLs."""

    def __init__(self) -> None:
        super().__init__(directory_permissions_mode=0o700, file_permissions_mode=0o600)

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("Materials have no URL: casework.views_files serves them to who may read them.")


def private_storage() -> Storage:
    """Chosen by settings.PRIVATE_STORAGE (a dotted path; the file system under PRIVATE_MEDIA_ROOT by default)."""
    backend = getattr(settings, "PRIVATE_STORAGE", "")
    if backend:
        return import_string(backend)()
    return PrivateFileSystemStorage()


def material_path(instance: Any, filename: str) -> str:
    """A name that says nothing of the person or the file: the application and a random id."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"applications/{instance.application_id}/{uuid.uuid4().hex}.{extension}"
