"""The materials applicants upload: checked by their content, not by their name, kept in private storage,
served only to the applicant and to staff who may see one of the application's cases (each staff read
logged in the person's access log), and erased with the account.

A file is accepted when it is a PDF (that opens, is not encrypted and has at most MATERIAL_MAX_PAGES
pages), a JPEG or a PNG (that Pillow can read); not empty and at most MATERIAL_MAX_BYTES; with a name
whose extension says the same type as its content (a renamed program is refused); and an application
holds at most MATERIAL_MAX_FILES files. Every file of a submission is checked before any is stored.

This module does not import casework.services (they import it): the scope rule of a caseworker's read
is casework's one rule (a case's region and, for a department's caseworker, its services), asked of the
database here.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from profiles.models import AccessChannel, AccessPurpose, Citizen, User
from profiles.permissions import allowed, in_scope, scope_prefix
from profiles.services.access import citizen_read_for
from services_portal.casework.models import Application, Case, MaterialFile
from services_portal.core.errors import PortalError

# content type -> the extensions a file of that type may have (the first is the one it is stored with)
TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/png": ("png",),
}
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def field_name(code: str) -> str:
    """The form and API field of a material's files, where its errors are reported."""
    return f"material.{code}"


class MaterialRefused(ValueError):
    """One file refused: a code and a message in the active language."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check, ready to store."""

    material: str
    upload: UploadedFile
    name: str
    content_type: str
    extension: str
    size: int
    pages: int
    sha256: str


def _read(upload: UploadedFile) -> bytes:
    upload.seek(0)
    content = b"".join(upload.chunks())
    upload.seek(0)
    return content


def _pdf_pages(content: bytes) -> int:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            raise MaterialRefused("encrypted", _("The PDF is protected by a password. Upload it without the password."))
        pages = len(reader.pages)
    except MaterialRefused:
        raise
    except (PyPdfError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError, OSError):
        raise MaterialRefused("unreadable", _("The PDF cannot be opened. Scan or save it again.")) from None
    if pages < 1:
        raise MaterialRefused("unreadable", _("The PDF has no pages."))
    if pages > settings.MATERIAL_MAX_PAGES:
        raise MaterialRefused(
            "too_many_pages",
            _("The PDF has %(pages)d pages: at most %(max)d are accepted.")
            % {"pages": pages, "max": settings.MATERIAL_MAX_PAGES},
        )
    return pages


def _image_check(content: bytes, content_type: str) -> None:
    from PIL import Image

    expected = "JPEG" if content_type == "image/jpeg" else "PNG"
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            image.verify()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise MaterialRefused("unreadable", _("The image cannot be opened. Take or save it again.")) from None
    if kind != expected:
        raise MaterialRefused("unreadable", _("The image cannot be opened. Take or save it again."))


def _allowed_types() -> str:
    return _("PDF, JPEG or PNG")


def material_check(material: str, upload: UploadedFile) -> CheckedFile:
    """Check one upload by its content; raises MaterialRefused saying why not."""
    name = os.path.basename(str(upload.name or "")).strip()[:200] or "file"
    size = upload.size or 0
    if size <= 0:
        raise MaterialRefused("empty", _("%(name)s is empty.") % {"name": name})
    if size > settings.MATERIAL_MAX_BYTES:
        raise MaterialRefused(
            "too_large",
            _("%(name)s is larger than %(max)d MB.")
            % {"name": name, "max": settings.MATERIAL_MAX_BYTES // (1024 * 1024) or 1},
        )
    content = _read(upload)
    if not content:
        raise MaterialRefused("empty", _("%(name)s is empty.") % {"name": name})
    content_type = next((kind for signature, kind in _SIGNATURES if content.startswith(signature)), None)
    if content_type is None:
        raise MaterialRefused(
            "type_not_allowed",
            _("%(name)s is not a file type the portal accepts: upload a %(types)s file.")
            % {"name": name, "types": _allowed_types()},
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in TYPES[content_type]:
        raise MaterialRefused(
            "extension_mismatch",
            _("The name of %(name)s does not match what is in it: upload a %(types)s file with its own name.")
            % {"name": name, "types": _allowed_types()},
        )
    if content_type == "application/pdf":
        pages = _pdf_pages(content)
    else:
        _image_check(content, content_type)
        pages = 1
    return CheckedFile(
        material=material,
        upload=upload,
        name=name,
        content_type=content_type,
        extension=TYPES[content_type][0],
        size=len(content),
        pages=pages,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def materials_check(
    files: Mapping[str, Sequence[UploadedFile]],
    *,
    allowed_codes: Collection[str],
    required: Iterable[str] = (),
    held: int = 0,
) -> list[CheckedFile]:
    """Check every file given for the materials (code -> files) before any is stored: each a material
    the form asks for (`allowed_codes`), every `required` material with at least one file, at most
    MATERIAL_MAX_FILES files with the `held` ones already on the application. Raises PortalError with
    every refusal at once, by material field."""
    count = sum(1 for uploads in files.values() for upload in uploads if upload is not None)
    if count + held > settings.MATERIAL_MAX_FILES:  # before reading any of them
        message = _("Too many files: at most %(max)d for an application.") % {"max": settings.MATERIAL_MAX_FILES}
        raise PortalError("too_many_files", message, fields={"files": [message]})
    errors: dict[str, list[str]] = {}
    checked: list[CheckedFile] = []
    refused = set[str]()
    for code, uploads in files.items():
        uploads = [upload for upload in uploads if upload is not None]
        if not uploads:
            continue
        if code not in allowed_codes:
            errors.setdefault(field_name(code), []).append(_("This application does not ask for this material."))
            refused.add("material_not_asked")
            continue
        for upload in uploads:
            try:
                checked.append(material_check(code, upload))
            except MaterialRefused as refusal:
                errors.setdefault(field_name(code), []).append(refusal.message)
                refused.add(refusal.code)
    for code in required:
        if not any(upload is not None for upload in files.get(code, ())):
            errors.setdefault(field_name(code), []).append(_("Upload this material."))
    if errors:
        if refused:
            # one kind of refusal says its own code (too_large, type_not_allowed...); several, the general one
            code = next(iter(refused)) if len(refused) == 1 else "invalid_material"
            raise PortalError(code, _("Some files cannot be accepted: see each one."), fields=errors)
        raise PortalError("material_missing", _("Some materials are missing: see each one."), fields=errors)
    return checked


def materials_store(
    application: Application, checked: Sequence[CheckedFile], *, uploaded_by: User | None, stored: list[str]
) -> list[MaterialFile]:
    """Write checked files to private storage with their rows. The caller runs this in its transaction
    and passes `stored`, which gains each storage name written, to delete them if the transaction fails
    (the database forgets its rows then; the storage would keep the files)."""
    rows = []
    for item in checked:
        row = MaterialFile(
            application=application,
            material=item.material,
            name=item.name,
            content_type=item.content_type,
            size=item.size,
            pages=item.pages,
            sha256=item.sha256,
            uploaded_by=uploaded_by,
        )
        row.file.save(f"material.{item.extension}", ContentFile(_read(item.upload)), save=False)
        stored.append(row.file.name or "")
        row.save()
        rows.append(row)
    return rows


def stored_files_delete(names: Iterable[str]) -> None:
    """Delete files from private storage (those of a failed submission, or of a closed account)."""
    storage = MaterialFile._meta.get_field("file").storage
    for name in names:
        if name:
            storage.delete(name)


# -- reading ------------------------------------------------------------------------------------


def material_file_for_applicant(citizen: Citizen, file_id: int) -> MaterialFile:
    """One of the person's own files; 404 for anyone else's."""
    found = MaterialFile.objects.filter(pk=file_id, application__citizen=citizen).first()
    if found is None:
        raise Http404
    return found


def _cases_seen_by(user: User, application_id: int) -> list[Case]:
    """The application's cases a caseworker may decide: in their region scope and, for a department's
    caseworker, of that department's services (as casework.services.case_in_scope)."""
    prefix = scope_prefix(user) if allowed(user, "casework.decide") else None
    if prefix is None:
        return []
    cases = Case.objects.filter(application_id=application_id, region_code__startswith=prefix)
    if user.department:
        cases = cases.filter(service__department__code=user.department)
    return [case for case in cases.select_related("service__department") if in_scope(user, case.region_code)]


@transaction.atomic
def material_file_for_staff(
    user: User, file_id: int, request_id: str = "", *, channel: AccessChannel | str = AccessChannel.PAGE
) -> MaterialFile:
    """A file for a caseworker who may see one of its application's cases, or for counter staff serving
    the person in their area; 404 for anyone else, so that nobody learns what exists. Each read is
    logged in the person's access log, with the material read."""
    found = MaterialFile.objects.select_related("application__citizen").filter(pk=file_id).first()
    if found is None:
        raise Http404
    citizen = found.application.citizen
    if citizen.erased_at is not None:
        raise Http404
    if _cases_seen_by(user, found.application_id):
        purpose = AccessPurpose.CASEWORK
    elif allowed(user, "citizen.assist") and in_scope(user, citizen.region_code):
        purpose = AccessPurpose.COUNTER_SERVICE
    else:
        raise Http404
    citizen_read_for(
        user,
        citizen=citizen,
        fields=[f"material:{found.material}"],
        purpose=purpose,
        channel=channel,
        request_id=request_id,
    )
    return found


# -- erasure ------------------------------------------------------------------------------------


def materials_account_closed(citizen: Citizen) -> None:
    """Closing the account (profiles.hooks.on_account_closed): every file the person uploaded with their
    applications goes, the rows now and the files once the closing commits."""
    rows = MaterialFile.objects.filter(application__citizen=citizen)
    names = list(rows.values_list("file", flat=True))
    rows.delete()
    transaction.on_commit(lambda: stored_files_delete(names))
