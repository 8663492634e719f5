"""Catalog API: list with filters and pagination, and detail."""

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny

from services_portal.catalog.forms import ServiceFilterForm
from services_portal.catalog.models import ServiceItem
from services_portal.catalog.selectors import service_get, service_list
from services_portal.core.errors import PortalError


class NamedSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ServiceListOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    category = NamedSerializer()
    department = NamedSerializer()
    life_events = NamedSerializer(many=True, source="life_events.all")
    online = serializers.BooleanField()
    counter = serializers.BooleanField()
    proactive = serializers.BooleanField()
    essential = serializers.BooleanField()
    url = serializers.SerializerMethodField()

    def get_url(self, service) -> str:
        request = self.context.get("request")
        path_ = f"/services/{service.code}/"
        return request.build_absolute_uri(path_) if request else path_


class CriterionOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    expression = serializers.CharField()


class BenefitOutput(serializers.Serializer):
    amount_cny = serializers.DecimalField(max_digits=12, decimal_places=2, source="benefit_amount_cny", allow_null=True)
    period = serializers.CharField(source="benefit_period")
    note = serializers.CharField(source="benefit_note")


class ServiceDetailOutput(ServiceListOutput):
    criteria = CriterionOutput(many=True, source="criteria.all")
    materials = serializers.ListField(child=serializers.CharField(), source="material_names")
    legal_basis = serializers.CharField()
    processing_days = serializers.IntegerField(allow_null=True)
    fee_cny = serializers.DecimalField(max_digits=10, decimal_places=2)
    benefit = BenefitOutput(source="*")
    bundles = NamedSerializer(many=True, source="bundles.all")


FILTER_PARAMETERS = [
    OpenApiParameter(
        "q",
        OpenApiTypes.STR,
        description=(
            "Words in either language, everyday or formal, pinyin or its initials; results ranked by relevance"
        ),
    ),
    OpenApiParameter("category", OpenApiTypes.STR),
    OpenApiParameter("department", OpenApiTypes.STR),
    OpenApiParameter("life_event", OpenApiTypes.STR),
    OpenApiParameter("bundle", OpenApiTypes.STR),
]


class ServiceListApi(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = ServiceListOutput

    @extend_schema(parameters=FILTER_PARAMETERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ServiceItem.objects.none()
        form = ServiceFilterForm(self.request.query_params)
        if not form.is_valid():
            raise PortalError(
                "invalid_filter",
                _("A filter value is not one the catalog knows."),
                fields={key: [str(message) for message in messages] for key, messages in form.errors.items()},
            )
        return service_list(**form.filters())


class ServiceDetailApi(RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = ServiceDetailOutput

    def get_object(self):
        return service_get(code=self.kwargs["code"])


urlpatterns = [
    path("services/", ServiceListApi.as_view(), name="api-service-list"),
    path("services/<slug:code>/", ServiceDetailApi.as_view(), name="api-service-detail"),
]
