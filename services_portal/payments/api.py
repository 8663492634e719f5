"""Payments API: finance staff list the payments of their region (each person's bank account read is
logged), make the payment file (answered as CSV) and send the bank's result file back (multipart); a
citizen reads the payments of their own case.
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.models import AccessChannel
from profiles.permissions import Allowed
from profiles.requests import AuthenticatedRequest
from profiles.selectors import bank_account_of, citizen_of
from services_portal.casework.selectors import citizen_case_get
from services_portal.core.api import ErrorSerializer
from services_portal.payments.forms import RESULT_FILE_MAX_BYTES
from services_portal.payments.models import Payment, PaymentState
from services_portal.payments.parts import payment_state_words
from services_portal.payments.selectors import payment_reads_log, payments_for, payments_of_case
from services_portal.payments.services import payment_batch_export, payment_results_import
from services_portal.payments.views import csv_response

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class PaymentServiceOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class PaymentPersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    resident_id_masked = serializers.CharField()


class PaymentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    case_id = serializers.IntegerField()
    service = PaymentServiceOutput(source="case.service")
    person = PaymentPersonOutput(source="citizen")
    amount_cny = serializers.DecimalField(max_digits=12, decimal_places=2)
    period = serializers.CharField()
    region_code = serializers.CharField()
    state = serializers.ChoiceField(choices=PaymentState.choices)
    state_label = serializers.CharField(source="get_state_display")
    bank_name = serializers.CharField()
    account_masked = serializers.CharField()
    batch_id = serializers.IntegerField(allow_null=True)
    sent_at = serializers.DateTimeField(allow_null=True)
    paid_on = serializers.DateField(allow_null=True)
    failure_code = serializers.CharField()
    failure_reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class PaymentListInput(serializers.Serializer):
    state = serializers.ChoiceField(choices=PaymentState.values, required=False, allow_blank=True, default="")
    period = serializers.RegexField(r"^[0-9a-z-]{0,10}$", required=False, allow_blank=True, default="")
    service = serializers.SlugField(required=False, allow_blank=True, default="")
    batch = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)
    without_account = serializers.BooleanField(required=False, default=False)


class FinanceApi(APIView):
    permission_classes = [Allowed.to("payments.manage")]
    request: AuthenticatedRequest


class PaymentListApi(FinanceApi, ListAPIView):
    """The payments of people in my region, newest first; filter by state, period, service, payment file
    or those waiting for a bank account. Each person shown is logged in their access log."""

    serializer_class = PaymentOutput

    @extend_schema(tags=["finance"], parameters=[PaymentListInput])
    def get(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        payment_reads_log(request.user, rows, channel=AccessChannel.API, request_id=getattr(request, "request_id", ""))
        data = PaymentOutput(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Payment.objects.none()
        params = PaymentListInput(data=self.request.query_params.dict())
        params.is_valid(raise_exception=True)
        return payments_for(self.request.user, **params.validated_data)


class PaymentBatchApi(FinanceApi):
    """Make the payment file of every waiting payment (in my region) whose person has a bank account:
    they are marked sent and the file is the answer (docs/payments-csv.md). 400 `nothing_to_send` when
    none waits."""

    @extend_schema(
        tags=["finance"],
        request=None,
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The payment file"), **ERRORS},
    )
    def post(self, request):
        exported = payment_batch_export(actor=request.user)
        response = csv_response(exported.content, exported.batch.filename)
        response["X-Payment-Batch"] = str(exported.batch.pk)
        response["X-Content-SHA256"] = exported.batch.sha256
        return response


class RejectedRowOutput(serializers.Serializer):
    line = serializers.IntegerField()
    reference = serializers.CharField()
    reason = serializers.CharField()


class ResultsReportOutput(serializers.Serializer):
    applied = serializers.IntegerField(help_text="Rows applied now: paid and failed")
    paid = serializers.IntegerField()
    failed = serializers.IntegerField()
    already_applied = serializers.IntegerField(help_text="Rows applied before: the file delivered again")
    rejected = RejectedRowOutput(many=True)


class ResultFileInput(serializers.Serializer):
    file = serializers.FileField(help_text="The bank's result file, UTF-8 CSV (docs/payments-csv.md)")

    def validate_file(self, upload):
        if upload.size > RESULT_FILE_MAX_BYTES:
            raise serializers.ValidationError(_("The file is too large (at most 20 MB)."))
        return upload


class PaymentResultsApi(FinanceApi):
    """Send the bank's result file: paid payments deliver their case; failed ones tell the person and
    open an outreach task at their counter. Bad rows are reported with their line and reason and the
    rest kept; rows applied before do nothing."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["finance"],
        request={"multipart/form-data": ResultFileInput},
        responses={200: ResultsReportOutput, **ERRORS},
    )
    def post(self, request):
        payload = ResultFileInput(data=request.data)
        payload.is_valid(raise_exception=True)
        report = payment_results_import(actor=request.user, file=payload.validated_data["file"].read())
        return Response(ResultsReportOutput(report).data)


class MyPaymentOutput(serializers.Serializer):
    reference = serializers.CharField()
    amount_cny = serializers.DecimalField(max_digits=12, decimal_places=2)
    period = serializers.CharField()
    state = serializers.ChoiceField(choices=PaymentState.choices)
    state_words = serializers.SerializerMethodField()
    account_masked = serializers.CharField()
    sent_at = serializers.DateTimeField(allow_null=True)
    paid_on = serializers.DateField(allow_null=True, help_text="The day the bank paid it")

    def get_state_words(self, payment: Payment) -> str:
        return payment_state_words(payment, has_account=self.context.get("has_account", False))


class MyCasePaymentsApi(APIView):
    """The payments of one of my cases: amount, period, account (masked), where each stands and the day
    it was paid."""

    permission_classes = [Allowed.to("self.manage")]

    @extend_schema(tags=["me"], responses={200: MyPaymentOutput(many=True), **ERRORS})
    def get(self, request, case_id: int):
        citizen = citizen_of(request.user)
        case = citizen_case_get(citizen, case_id)
        context = {"has_account": bank_account_of(citizen) is not None}
        return Response(MyPaymentOutput(payments_of_case(case), many=True, context=context).data)


urlpatterns = [
    path("finance/payments/", PaymentListApi.as_view(), name="api-finance-payments"),
    path("finance/payment-batches/", PaymentBatchApi.as_view(), name="api-finance-payment-batches"),
    path("finance/payment-results/", PaymentResultsApi.as_view(), name="api-finance-payment-results"),
    path("me/cases/<int:case_id>/payments/", MyCasePaymentsApi.as_view(), name="api-me-case-payments"),
]
