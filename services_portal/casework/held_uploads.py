"""Uploads held between the apply form and its check-your-answers page.

A browser cannot post a file twice, and the check page must not ask for the files again: so the files
of the apply form that pass the material checks are kept in private storage, and the pages carry a
signed list of them (`held_token`). Submitting opens them again as uploads for
`application_submit`, which checks and stores them as the application's own; the held copies are then
deleted. What nobody submits is deleted by the next sweep, once it is older than HELD_MAX_AGE.

A held file's name says nothing of the person or the file; the token binds it to the person who
uploaded it, so no one else's page can submit it.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from django.core import signing
from django.core.files import File
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from profiles.models import Citizen
from services_portal.casework.materials import CheckedFile
from services_portal.casework.storage import private_storage

HELD_DIR = "held"
# how long a person may take between the form and submitting it
HELD_MAX_AGE = datetime.timedelta(hours=3)
_SALT = "casework.held_uploads"
_BUCKET_FORMAT = "%Y%m%d%H"


@dataclass(frozen=True)
class HeldUpload:
    material: str
    path: str
    name: str
    content_type: str
    size: int


def _storage() -> Storage:
    return private_storage()


def uploads_hold(checked: Iterable[CheckedFile]) -> list[HeldUpload]:
    """Keep checked uploads until the person submits (in an hour's folder, for the sweep)."""
    storage = _storage()
    bucket = timezone.now().strftime(_BUCKET_FORMAT)
    held = []
    for item in checked:
        item.upload.seek(0)
        # wrapped, so that the storage copies a large upload's temporary file rather than moving it
        path = storage.save(f"{HELD_DIR}/{bucket}/{uuid.uuid4().hex}.{item.extension}", File(item.upload))
        item.upload.seek(0)
        held.append(HeldUpload(item.material, path, item.name, item.content_type, item.size))
    held_sweep()
    return held


def held_token(citizen: Citizen, held: Iterable[HeldUpload]) -> str:
    return signing.dumps({"citizen": citizen.pk, "files": [asdict(item) for item in held]}, salt=_SALT, compress=True)


def held_read(citizen: Citizen, token: str) -> list[HeldUpload]:
    """The held uploads a page carried: none if the token is not this person's, is forged or too old;
    a file gone meanwhile (swept, or submitted by a first click) is left out."""
    if not token:
        return []
    try:
        data = signing.loads(token, salt=_SALT, max_age=HELD_MAX_AGE)
    except signing.BadSignature:
        return []
    if not isinstance(data, dict) or data.get("citizen") != citizen.pk:
        return []
    storage = _storage()
    held = [HeldUpload(**item) for item in data.get("files", [])]
    return [item for item in held if item.path.startswith(f"{HELD_DIR}/") and storage.exists(item.path)]


def held_by_material(held: Iterable[HeldUpload]) -> dict[str, list[HeldUpload]]:
    grouped: dict[str, list[HeldUpload]] = {}
    for item in held:
        grouped.setdefault(item.material, []).append(item)
    return grouped


def held_open(held: Sequence[HeldUpload]) -> Mapping[str, list[UploadedFile]]:
    """The held files as uploads again, by material code; the caller closes them (`held_close`)."""
    storage = _storage()
    files: dict[str, list[UploadedFile]] = {}
    for item in held:
        upload = UploadedFile(
            storage.open(item.path, "rb"), name=item.name, content_type=item.content_type, size=item.size
        )
        files.setdefault(item.material, []).append(upload)
    return files


def held_close(files: Mapping[str, Sequence[UploadedFile]]) -> None:
    for uploads in files.values():
        for upload in uploads:
            upload.close()


def held_delete(held: Iterable[HeldUpload]) -> None:
    storage = _storage()
    for item in held:
        if item.path.startswith(f"{HELD_DIR}/"):
            storage.delete(item.path)


def held_sweep(now: datetime.datetime | None = None) -> int:
    """Delete the hours' folders older than HELD_MAX_AGE (a file is at most an hour younger than its
    folder's name says); returns how many files went."""
    storage = _storage()
    oldest = ((now or timezone.now()) - HELD_MAX_AGE - datetime.timedelta(hours=1)).strftime(_BUCKET_FORMAT)
    try:
        buckets, _files = storage.listdir(HELD_DIR)
    except (FileNotFoundError, NotImplementedError):
        return 0
    deleted = 0
    for bucket in buckets:
        if not bucket.isdigit() or bucket >= oldest:
            continue
        _dirs, names = storage.listdir(f"{HELD_DIR}/{bucket}")
        for name in names:
            storage.delete(f"{HELD_DIR}/{bucket}/{name}")
            deleted += 1
        storage.delete(f"{HELD_DIR}/{bucket}")
    return deleted
