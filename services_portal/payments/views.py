"""The finance pages (/finance/payments/): the payments of the region with filters and totals, the
payment file for the bank, the bank's result file and its report, and sending a failed payment again."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from profiles.forms import errors_from
from profiles.models import AccessChannel
from profiles.permissions import permission_required
from profiles.requests import AuthenticatedHttpRequest
from services_portal.core.errors import PortalError
from services_portal.payments.forms import PaymentFilterForm, ResultFileForm
from services_portal.payments.models import PaymentState
from services_portal.payments.selectors import (
    payment_batch_get_for,
    payment_batches_for,
    payment_reads_log,
    payment_totals,
    payments_for,
)
from services_portal.payments.services import (
    ResultsReport,
    payment_batch_export,
    payment_batch_file,
    payment_resend,
    payment_results_import,
)

PAGE_SIZE = 25


def _request_id(request: HttpRequest) -> str:
    return request.headers.get("X-Request-ID", "")


def csv_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _payments_page(
    request: AuthenticatedHttpRequest,
    *,
    upload: ResultFileForm | None = None,
    report: ResultsReport | None = None,
    status: int = 200,
) -> HttpResponse:
    form = PaymentFilterForm(request.GET)
    payments = payments_for(request.user, **form.filters())
    page = Paginator(payments, request.display.page_size(PAGE_SIZE)).get_page(request.GET.get("page"))
    payment_reads_log(request.user, list(page), channel=AccessChannel.PAGE, request_id=_request_id(request))
    totals = payment_totals(payments)
    context = {
        "form": form,
        "page": page,
        "totals": [(PaymentState(state).label, totals[state]) for state in PaymentState.values],
        "total_all": totals["all"],
        "filtered": any(request.GET.get(name) for name in form.fields),
        "upload": upload or ResultFileForm(),
        "report": report,
        "batches": payment_batches_for(request.user)[:10],
        "sendable": PaymentState.FAILED,
    }
    return render(request, "payments/payments.html", context, status=400 if form.errors else status)


@never_cache
@permission_required("payments.manage")
@require_GET
def payments_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _payments_page(request)


@permission_required("payments.manage")
@require_POST
def batch_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Make the payment file of what is waiting and download it."""
    try:
        exported = payment_batch_export(actor=request.user)
    except PortalError as error:
        messages.error(request, error.message)
        return redirect("payments:payments")
    return csv_response(exported.content, exported.batch.filename)


@never_cache
@permission_required("payments.manage")
@require_GET
def batch_download(request: AuthenticatedHttpRequest, batch_id: int) -> HttpResponse:
    """A payment file made before, once more."""
    batch = payment_batch_get_for(request.user, batch_id)
    return csv_response(payment_batch_file(actor=request.user, batch=batch), batch.filename)


@never_cache
@permission_required("payments.manage")
@require_http_methods(["POST"])
def results_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    upload = ResultFileForm(request.POST, request.FILES)
    if upload.is_valid():
        try:
            report = payment_results_import(actor=request.user, file=upload.cleaned_data["file"].read())
        except PortalError as error:
            errors_from(upload, error)
        else:
            return _payments_page(request, report=report)
    return _payments_page(request, upload=upload, status=400)


@permission_required("payments.manage")
@require_POST
def payment_send_again(request: AuthenticatedHttpRequest, payment_id: int) -> HttpResponse:
    try:
        payment = payment_resend(actor=request.user, payment_id=payment_id)
    except PortalError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Payment %(reference)s will go with the next payment file.") % {"reference": payment.reference}
        )
    return redirect("payments:payments")
