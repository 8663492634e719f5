"""Materials: checked by their content, stored privately, served to the applicant and to staff in scope
(each staff read logged), erased with the account."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from reportlab.pdfgen import canvas

from services_portal.casework.materials import (
    MaterialRefused,
    material_check,
    materials_check,
)
from services_portal.core.errors import PortalError

# -- files made in the test ---------------------------------------------------------------------


def pdf_bytes(pages: int = 1, *, password: str = "") -> bytes:
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer, encrypt=password or None)
    for number in range(pages):
        document.drawString(72, 720, f"Birth medical certificate, page {number + 1}")
        document.showPage()
    document.save()
    return buffer.getvalue()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 30, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


def pdf_upload(name: str = "certificate.pdf", pages: int = 1) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(pages), content_type="application/pdf")


def png_upload(name: str = "scan.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 64
    + b"This program cannot be run in DOS mode"
)


def private_storage_in(tmp_path, settings, monkeypatch):
    """The private storage in the test's own directory (it reads the setting each time it is used)."""
    root = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT = str(root)
    return root


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path, monkeypatch):
    return private_storage_in(tmp_path, settings, monkeypatch)


# -- checks by content --------------------------------------------------------------------------


def test_a_pdf_is_accepted_with_its_pages_and_hash():
    checked = material_check("birth_medical_certificate", pdf_upload(pages=3))

    assert checked.content_type == "application/pdf"
    assert checked.pages == 3
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("photo.jpg", jpeg_bytes(), "image/jpeg"),
        ("photo.JPEG", jpeg_bytes(), "image/jpeg"),
        ("scan.png", png_bytes(), "image/png"),
    ],
)
def test_images_are_accepted(name, content, kind):
    assert material_check("m", SimpleUploadedFile(name, content)).content_type == kind


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("certificate.pdf", EXE, "type_not_allowed"),  # a renamed program
        ("setup.exe", EXE, "type_not_allowed"),
        ("notes.txt", b"hello", "type_not_allowed"),
        ("empty.pdf", b"", "empty"),
        ("scan.pdf", png_bytes(), "extension_mismatch"),  # a PNG called a PDF
        ("scan", png_bytes(), "extension_mismatch"),
        ("broken.pdf", b"%PDF-1.4\nnot really a pdf", "unreadable"),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "unreadable"),
    ],
)
def test_bad_files_are_refused_by_their_content(name, content, code):
    with pytest.raises(MaterialRefused) as refused:
        material_check("m", SimpleUploadedFile(name, content))

    assert refused.value.code == code


def test_too_large_too_many_pages_and_encrypted_are_refused(settings):
    settings.MATERIAL_MAX_PAGES = 2
    with pytest.raises(MaterialRefused) as refused:
        material_check("m", pdf_upload(pages=3))
    assert refused.value.code == "too_many_pages"

    with pytest.raises(MaterialRefused) as refused:
        material_check("m", SimpleUploadedFile("locked.pdf", pdf_bytes(password="secret")))
    assert refused.value.code == "encrypted"

    settings.MATERIAL_MAX_BYTES = 100
    with pytest.raises(MaterialRefused) as refused:
        material_check("m", pdf_upload())
    assert refused.value.code == "too_large"


def test_every_refusal_is_reported_at_once_by_material():
    files = {"birth_medical_certificate": [SimpleUploadedFile("a.pdf", EXE)], "other": [png_upload()]}

    with pytest.raises(PortalError) as refused:
        materials_check(files, allowed_codes={"birth_medical_certificate", "id_card"}, required=["id_card"])

    assert refused.value.code == "invalid_material"
    assert set(refused.value.fields) == {"material.birth_medical_certificate", "material.other", "material.id_card"}


def test_too_many_files_are_refused(settings):
    settings.MATERIAL_MAX_FILES = 2

    with pytest.raises(PortalError) as refused:
        materials_check({"m": [png_upload(), png_upload()]}, allowed_codes={"m"}, held=1)

    assert refused.value.code == "too_many_files"
