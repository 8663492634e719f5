"""The fact vocabulary, published for app clients and department feeds."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.facts import FACTS


class ChoiceOutput(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class FactOutput(serializers.Serializer):
    key = serializers.CharField()
    type = serializers.CharField()
    label = serializers.CharField()
    question = serializers.CharField()
    unit = serializers.CharField()
    sensitivity = serializers.CharField()
    purpose = serializers.CharField()
    departments = serializers.ListField(child=serializers.CharField())
    choices = ChoiceOutput(many=True)
    minimum = serializers.IntegerField(allow_null=True)
    maximum = serializers.IntegerField(allow_null=True)
    allow_future = serializers.BooleanField()


class FactListApi(APIView):
    """Every fact the portal knows: its type, unit, sensitivity, consent purpose and delivering departments."""

    permission_classes = [AllowAny]

    @extend_schema(responses=FactOutput(many=True))
    def get(self, request):
        return Response(FactOutput(FACTS.values(), many=True).data)


urlpatterns = [path("facts/", FactListApi.as_view(), name="api-fact-list")]
