"""Department feeds API: deliver a batch (JSON or CSV) and fetch its result later."""

from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from knox.auth import TokenAuthentication
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.permissions import Allowed
from profiles.requests import AuthenticatedRequest
from services_portal.core.api import ErrorSerializer, StrictCharField
from services_portal.feeds.models import FeedBatch, FeedRowRejection
from services_portal.feeds.services import feed_batch_get, feed_batch_ingest, feed_csv_parse


class CsvParser(BaseParser):
    """A CSV batch arrives as the raw body; feed_csv_parse checks its encoding and columns."""

    media_type = "text/csv"

    # DRF makes whatever a parser returns `request.data`; the stubs admit only a mapping
    def parse(self, stream, media_type=None, parser_context=None) -> bytes:  # type: ignore[override]
        return stream.read()


class RowsField(serializers.ListField):
    """The rows as the JSON parser read them, each left to feeds/services.py to check. The child field
    documents them; running it on every row (it serialises each one again to see that it is JSON) took
    a tenth of a batch's time and can find nothing wrong with what came out of a JSON document."""

    def run_child_validation(self, data: list) -> list:
        return list(data)


class BatchInput(serializers.Serializer):
    batch_id = StrictCharField(max_length=100, help_text="The department's own id: delivering it again changes nothing")
    # Each row is checked on its own (feeds/services.py): a row that is not an object is refused as that
    # row, with its reason, and the rest of the batch is kept.
    rows = RowsField(
        child=serializers.JSONField(allow_null=True),
        allow_empty=True,
        help_text="Objects with the fields resident_id, fact, value, observed_at, and optionally expires_at, "
        "household_id",
    )


class RejectionOutput(serializers.ModelSerializer):
    class Meta:
        model = FeedRowRejection
        fields = ["row_number", "reason", "message", "fact_key"]


class BatchOutput(serializers.ModelSerializer):
    rejections = serializers.SerializerMethodField()

    class Meta:
        model = FeedBatch
        fields = [
            "batch_id",
            "department",
            "format",
            "received_at",
            "rows_total",
            "rows_accepted",
            "rows_rejected",
            "rejected_by_reason",
            "people_created",
            "rejections",
        ]

    def get_rejections(self, batch: FeedBatch) -> str:
        return f"/api/v1/feeds/batches/{batch.batch_id}/rejections/"


class FeedApi(APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [Allowed.to("feed.deliver")]
    request: AuthenticatedRequest


class BatchDeliverApi(FeedApi):
    parser_classes = [JSONParser, CsvParser]
    throttle_classes: list = []

    @extend_schema(
        request={"application/json": BatchInput, "text/csv": OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("batch_id", OpenApiTypes.STR, description="For CSV: the batch id")],
        responses={201: BatchOutput, 200: BatchOutput, 400: ErrorSerializer},
        description="Rows that fail a check are kept out with their reason; the rest is stored. "
        "CSV columns: resident_id, fact, value, observed_at, and optionally expires_at, household_id.",
    )
    def post(self, request):
        # by content type: an empty CSV body parses to no data at all, not to bytes
        if request.content_type.startswith(CsvParser.media_type):
            body = request.data if isinstance(request.data, bytes) else b""
            batch_id, rows, format = request.query_params.get("batch_id", ""), feed_csv_parse(body), "csv"
        else:
            payload = BatchInput(data=request.data)
            payload.is_valid(raise_exception=True)
            batch_id, rows, format = payload.validated_data["batch_id"], payload.validated_data["rows"], "json"
        known = feed_batch_get(department=request.user.department, batch_id=batch_id)
        batch = known or feed_batch_ingest(account=request.user, batch_id=batch_id, rows=rows, format=format)
        return Response(BatchOutput(batch).data, status=status.HTTP_200_OK if known else status.HTTP_201_CREATED)


class BatchDetailApi(FeedApi):
    @extend_schema(responses={200: BatchOutput, 404: OpenApiResponse(ErrorSerializer)})
    def get(self, request, batch_id: str):
        batch = feed_batch_get(department=request.user.department, batch_id=batch_id)
        if batch is None:
            raise Http404
        return Response(BatchOutput(batch).data)


class BatchRejectionsApi(FeedApi, ListAPIView):
    serializer_class = RejectionOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return FeedRowRejection.objects.none()
        batch = feed_batch_get(department=self.request.user.department, batch_id=self.kwargs["batch_id"])
        if batch is None:
            raise Http404
        return batch.rejections.all()


urlpatterns = [
    path("feeds/batches/", BatchDeliverApi.as_view(), name="api-feed-deliver"),
    path("feeds/batches/<str:batch_id>/", BatchDetailApi.as_view(), name="api-feed-batch"),
    path("feeds/batches/<str:batch_id>/rejections/", BatchRejectionsApi.as_view(), name="api-feed-rejections"),
]
