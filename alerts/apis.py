"""API v1, subscriptions (DRF): create one for a service, then read, change, delete it, rotate
its webhook secret and read its delivery log with the management token it was created with
(`Authorization: Bearer alt_...`). Errors are problem details (common.api_errors)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import selectors
from alerts.models import Subscription
from alerts.services import subscriptions as services
from outages.models import Service
from outages.vocabulary import Platform, Problem

TOKEN_HEADER = OpenApiParameter(
    "Authorization", str, OpenApiParameter.HEADER, required=True,
    description="`Bearer <management token>`, as returned when the subscription was created.",
)  # fmt: skip


class _Subscription(serializers.ModelSerializer[Subscription]):
    service = serializers.CharField(source="service.slug")

    class Meta:
        model = Subscription
        fields = ["id", "service", "channel", "email", "url", "format", "platform", "problem",
                  "country", "min_level", "daily_digest", "language", "state", "confirmed_at",
                  "consecutive_failures", "paused_at", "created_at"]  # fmt: skip


class _Delivery(serializers.Serializer[Any]):
    webhook_id = serializers.CharField(source="message_id")
    event = serializers.CharField(source="event.kind")
    incident = serializers.IntegerField(source="event.incident_id")
    level = serializers.IntegerField(source="event.level")
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    response_status = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()
    next_attempt_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


def _invalid(error: services.SubscriptionInvalid) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [reason] for field, reason in error.errors})


class _TokenApi(APIView):
    """An operation on one subscription, allowed to the holder of its management token."""

    # The Authorization header carries the subscription's token here, not a partner API key.
    authentication_classes: list[type] = []
    problem_401 = "No management token was sent (Authorization: Bearer <token>)."

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="subscription"'

    def subscription(self, request: Request, pk: int) -> Subscription:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise exceptions.NotAuthenticated("Send the management token: Authorization: Bearer.")
        found = services.subscription_by_token(pk, header.removeprefix("Bearer ").strip())
        if found is None:
            raise exceptions.NotFound("No subscription with this id and token.")
        return found


class SubscriptionCreateApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        channel = serializers.ChoiceField(Subscription.Channel.choices)
        email = serializers.CharField(required=False, allow_blank=True, max_length=254)
        url = serializers.CharField(required=False, allow_blank=True, max_length=500)
        format = serializers.ChoiceField(Subscription.Format.choices, default="standard")
        platform = serializers.ChoiceField(Platform.choices, required=False, allow_blank=True)
        problem = serializers.ChoiceField(Problem.choices, required=False, allow_blank=True)
        country = serializers.CharField(required=False, allow_blank=True, max_length=2)
        min_level = serializers.ChoiceField([1, 2], default=1)
        daily_digest = serializers.BooleanField(default=False)
        language = serializers.ChoiceField(["en", "fr"], required=False)

    class OutputSerializer(serializers.Serializer[Any]):
        subscription = _Subscription()
        token = serializers.CharField(help_text="The management token; shown only now.")
        secret = serializers.CharField(
            allow_blank=True, help_text="The webhook signing secret (whsec_...); shown only now."
        )

    @extend_schema(
        operation_id="subscriptions_create",
        request=InputSerializer,
        responses={201: OutputSerializer},
        description="Subscribe to a service's incidents by e-mail (double opt-in: nothing is "
        "sent before the confirmation link is followed) or by webhook (Standard Webhooks).",
    )
    def post(self, request: Request, slug: str) -> Response:
        service = get_object_or_404(Service, slug=slug, is_active=True)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                created = services.subscription_create(service=service, **payload.validated_data)
        except services.SubscriptionInvalid as error:
            raise _invalid(error) from None
        data = {"subscription": created.subscription, "token": created.token,
                "secret": created.subscription.secret}  # fmt: skip
        return Response(self.OutputSerializer(data).data, status=status.HTTP_201_CREATED)


class SubscriptionDetailApi(_TokenApi):
    class UpdateSerializer(serializers.Serializer[Any]):
        url = serializers.CharField(required=False, max_length=500)
        format = serializers.ChoiceField(Subscription.Format.choices, required=False)
        platform = serializers.ChoiceField(Platform.choices, required=False, allow_blank=True)
        problem = serializers.ChoiceField(Problem.choices, required=False, allow_blank=True)
        country = serializers.CharField(required=False, allow_blank=True, max_length=2)
        min_level = serializers.ChoiceField([1, 2], required=False)
        daily_digest = serializers.BooleanField(required=False)
        resume = serializers.BooleanField(required=False, help_text="Resume a paused one.")

    @extend_schema(operation_id="subscriptions_retrieve", parameters=[TOKEN_HEADER],
                   responses=_Subscription)  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        return Response(_Subscription(self.subscription(request, pk)).data)

    @extend_schema(operation_id="subscriptions_update", parameters=[TOKEN_HEADER],
                   request=UpdateSerializer, responses=_Subscription)  # fmt: skip
    def patch(self, request: Request, pk: int) -> Response:
        subscription = self.subscription(request, pk)
        payload = self.UpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        extra = set(request.data) - set(self.UpdateSerializer().fields)
        if extra:
            raise exceptions.ValidationError({k: ["Cannot be changed."] for k in sorted(extra)})
        try:
            services.subscription_update(subscription, changes=payload.validated_data)
        except services.SubscriptionInvalid as error:
            raise _invalid(error) from None
        return Response(_Subscription(subscription).data)

    @extend_schema(operation_id="subscriptions_destroy", parameters=[TOKEN_HEADER],
                   responses={204: None})  # fmt: skip
    def delete(self, request: Request, pk: int) -> Response:
        services.subscription_delete(self.subscription(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubscriptionSecretRotateApi(_TokenApi):
    class OutputSerializer(serializers.Serializer[Any]):
        secret = serializers.CharField()
        previous_valid_until = serializers.DateTimeField()

    @extend_schema(
        operation_id="subscriptions_secret_rotate", parameters=[TOKEN_HEADER], request=None,
        responses=OutputSerializer,
        description="A new signing secret. Until previous_valid_until every delivery carries "
        "two signatures, one per secret, so receivers can switch without losing a message.",
    )  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        subscription = self.subscription(request, pk)
        try:
            secret = services.subscription_secret_rotate(subscription, now=timezone.now())
        except services.SubscriptionInvalid as error:
            raise _invalid(error) from None
        data = {"secret": secret, "previous_valid_until": subscription.previous_secret_until}
        return Response(self.OutputSerializer(data).data)


class SubscriptionDeliveriesApi(_TokenApi):
    @extend_schema(
        operation_id="subscriptions_deliveries",
        parameters=[TOKEN_HEADER],
        responses=_Delivery(many=True),
        description="The subscription's delivery log, newest first (last 100).",
    )
    def get(self, request: Request, pk: int) -> Response:
        subscription = self.subscription(request, pk)
        rows = selectors.delivery_log(subscription=subscription, limit=100)
        return Response(_Delivery(rows, many=True).data)
