"""Serving applicants' materials: to the applicant (/me/files/<id>/) and to staff who may see one of the
application's cases (/casework/files/<id>/, each read logged in the person's access log). Always as a
download, never drawn by the browser as a page, and never kept by a cache."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from profiles.permissions import permission_required
from profiles.requests import AuthenticatedHttpRequest
from profiles.selectors import citizen_of
from services_portal.casework.materials import material_file_for_applicant, material_file_for_staff
from services_portal.casework.models import MaterialFile


def material_response(found: MaterialFile) -> FileResponse:
    """The file as an attachment with its own name and the content type its checks found."""
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=found.name, content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@permission_required("self.manage")
def material_file_mine(request: AuthenticatedHttpRequest, file_id: int) -> FileResponse:
    return material_response(material_file_for_applicant(citizen_of(request.user), file_id))


@require_GET
@login_required
def material_file(request: HttpRequest, file_id: int) -> FileResponse:
    """For a caseworker or counter staff; anyone else, and any file outside their scope: 404."""
    found = material_file_for_staff(request.user, file_id, getattr(request, "request_id", ""))  # type: ignore[arg-type]
    return material_response(found)
