"""API v1, subscriptions (DRF): create one for a service, then read, change, delete it, rotate
its webhook secret and read its delivery log with the management token it was created with
(`Authorization: Bearer alt_...`). Errors are problem details (common.api_errors).

Over 300 lines: one APIView per subscription operation with its serializers and schema.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_countries import countries
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import selectors
from alerts.models import Subscription
from alerts.requesters import refused_detail, requester_of
from alerts.services import subscriptions as services
from alerts.services.quota import ConfirmationsExhausted
from alerts.tasks import confirmation_enqueue
from common.api_errors import problem_response
from common.api_schema import ClosedSerializer
from outages.models import Service
from outages.vocabulary import Platform, Problem

# The languages an alert can be written in: the site's.
LANGUAGES = [code for code, _name in settings.LANGUAGES]
# The API docs: creating a subscription is public (no lock); the operations on one need its
# management token (the SubscriptionToken scheme, declared in config/api_docs.py).
PUBLIC: list[str] = []
# (extend_schema's annotation says Sequence[str]; it takes security requirement objects.)
TOKEN_AUTH: list[Any] = [{"SubscriptionToken": []}]
TOKEN_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "The subscription's management token, returned once when it was created: "
    "`Authorization: Bearer <token>`.",
}
TOKEN_HEADER = OpenApiParameter(
    "Authorization",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="`Bearer <management token>`, as returned when the subscription was created.",
)


class _Subscription(serializers.ModelSerializer[Subscription]):
    service = serializers.CharField(source="service.slug")
    url = serializers.CharField(help_text="The webhook's URL as it was given; empty for e-mail.")

    class Meta:
        model = Subscription
        fields = [
            "id",
            "service",
            "channel",
            "email",
            "url",
            "format",
            "platform",
            "problem",
            "country",
            "min_level",
            "daily_digest",
            "only_unacknowledged",
            "language",
            "state",
            "confirmed_at",
            "consecutive_failures",
            "paused_at",
            "created_at",
        ]


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
        if found is None:  # the same answer for an unknown id: ids are not revealed
            raise exceptions.AuthenticationFailed("This token opens no subscription of this id.")
        return found


class StrictBoolean(serializers.BooleanField):
    """JSON true or false only, as the schema says (DRF's also takes 0, "yes", "on"...)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class Level(serializers.ChoiceField):
    """1 or 2 as JSON numbers, as the schema says (DRF's choice field also takes "1")."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__([1, 2], **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class Country(serializers.ChoiceField):
    """An ISO 3166-1 alpha-2 code or empty (any country); lower case is read as upper."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__([code for code, _ in countries], allow_blank=True, **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(data.upper() if isinstance(data, str) else data)


def webhook_url_pattern() -> str:
    """The URLs the server can take (ssrf.target_check): http(s) (https only when
    ALERTS_HTTPS_ONLY), no credentials, a port in range, and a host that is a dotted quad or a
    name whose last label starts with a letter (no other numeric spelling of an address)."""
    scheme = "[Hh][Tt][Tt][Pp][Ss]" if settings.ALERTS_HTTPS_ONLY else "[Hh][Tt][Tt][Pp][Ss]?"
    byte = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
    name = "([A-Za-z0-9-]+\\.)*[A-Za-z][A-Za-z0-9-]*"
    port = "(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
    # The rest is printable ASCII (the same in every regex dialect; other characters are sent
    # percent-encoded).
    return rf"^{scheme}://({byte}(\.{byte}){{3}}|{name})(:{port})?([/?#][!-~]*)?$"


PROBLEM_HELP = (
    "Empty: any. Else one of the problem types of the service's category (GET "
    "/api/v1/categories); another is refused with a 400 naming `problem`."
)


def webhook_url(**kwargs: Any) -> serializers.RegexField:
    return serializers.RegexField(
        webhook_url_pattern(),
        max_length=500,
        help_text="https:// in production. Its host must resolve to public addresses only: "
        "any other (private, loopback, link-local, unresolvable) is refused with a 400 naming "
        "`url`. A chat format's URL must have its target's shape (Telegram: "
        "https://api.telegram.org/bot<token>/sendMessage?chat_id=<chat>; ntfy: "
        "https://ntfy.sh/<topic>), else the same 400.",
        **kwargs,
    )


class _Narrowing(serializers.Serializer[Any]):
    """What every subscription may narrow or choose (for the create request's schema)."""

    platform = serializers.ChoiceField(Platform.choices, required=False, allow_blank=True)
    problem = serializers.ChoiceField(
        Problem.choices,
        required=False,
        allow_blank=True,
        help_text=PROBLEM_HELP,
    )
    country = Country(required=False, help_text="Empty: any.")
    min_level = Level(default=1)
    daily_digest = StrictBoolean(default=False)
    only_unacknowledged = StrictBoolean(
        default=False, help_text="Only incidents the company has not acknowledged yet."
    )
    language = serializers.ChoiceField(LANGUAGES, required=False)


class _EmailSubscription(_Narrowing):
    """By e-mail: double opt-in, nothing is sent before the confirmation link is followed."""

    channel = serializers.ChoiceField(["email"])
    email = serializers.EmailField(max_length=254, help_text="Sent a confirmation link first.")


class _WebhookSubscription(_Narrowing):
    """By webhook (Standard Webhooks): active at once; its signing secret is returned once."""

    channel = serializers.ChoiceField(["webhook"])
    url = webhook_url()
    format = serializers.ChoiceField(Subscription.Format.choices, default="standard")
    email = serializers.EmailField(
        required=False,
        allow_blank=True,
        max_length=254,
        help_text="Told if the webhook is paused after repeated failures.",
    )


# The create request as the server takes it: an e-mail subscription needs a valid address, a
# webhook one a URL (one InputSerializer checks both; the schema says which needs what).
SUBSCRIPTION_REQUEST = PolymorphicProxySerializer(
    component_name="SubscriptionCreateRequest",
    serializers={"email": _EmailSubscription, "webhook": _WebhookSubscription},
    resource_type_field_name="channel",
)


class SubscriptionCreateApi(APIView):
    parser_classes = [JSONParser]  # the API takes JSON; the page's form has its own view

    class InputSerializer(serializers.Serializer[Any]):
        channel = serializers.ChoiceField(Subscription.Channel.choices)
        email = serializers.CharField(required=False, allow_blank=True, max_length=254)
        url = serializers.CharField(required=False, allow_blank=True, max_length=500)
        format = serializers.ChoiceField(Subscription.Format.choices, default="standard")
        platform = serializers.ChoiceField(Platform.choices, required=False, allow_blank=True)
        problem = serializers.ChoiceField(
            Problem.choices,
            required=False,
            allow_blank=True,
            help_text=PROBLEM_HELP,
        )
        country = Country(required=False)
        min_level = Level(default=1)
        daily_digest = StrictBoolean(default=False)
        only_unacknowledged = StrictBoolean(default=False)
        language = serializers.ChoiceField(LANGUAGES, required=False)

    class OutputSerializer(serializers.Serializer[Any]):
        subscription = _Subscription()
        token = serializers.CharField(help_text="The management token; shown only now.")
        secret = serializers.CharField(
            allow_blank=True, help_text="The webhook signing secret (whsec_...); shown only now."
        )

    @extend_schema(
        operation_id="subscriptions_create",
        summary="Subscribe to a service's incidents",
        auth=PUBLIC,
        request=SUBSCRIPTION_REQUEST,
        responses={201: OutputSerializer},
        description="Subscribe to a service's incidents by e-mail (double opt-in: nothing is "
        "sent before the confirmation link is followed) or by webhook (Standard Webhooks). "
        "Anonymous: the answer holds the subscription's management token, shown only once, "
        "which the other subscription operations need.",
    )
    def post(self, request: Request, slug: str) -> HttpResponseBase:
        service = get_object_or_404(Service, slug=slug, is_active=True)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                created = services.subscription_create(
                    service=service,
                    requester=requester_of(request),
                    confirmation_enqueue=confirmation_enqueue,
                    **payload.validated_data,
                )
        except services.SubscriptionInvalid as error:
            raise _invalid(error) from None
        except ConfirmationsExhausted as refused:
            return problem_response(
                status=429,
                reason="too_many_confirmations",
                detail=refused_detail(refused),
                retry_after=refused.retry_after,
            )
        data = {
            "subscription": created.subscription,
            "token": created.token,
            "secret": created.subscription.secret,
        }
        return Response(self.OutputSerializer(data).data, status=status.HTTP_201_CREATED)


class SubscriptionDetailApi(_TokenApi):
    parser_classes = [JSONParser]  # as on create: JSON types, as the schema says

    class UpdateSerializer(ClosedSerializer):
        url = webhook_url(required=False)
        format = serializers.ChoiceField(Subscription.Format.choices, required=False)
        platform = serializers.ChoiceField(Platform.choices, required=False, allow_blank=True)
        problem = serializers.ChoiceField(
            Problem.choices,
            required=False,
            allow_blank=True,
            help_text=PROBLEM_HELP,
        )
        country = Country(required=False)
        min_level = Level(required=False)
        daily_digest = StrictBoolean(required=False)
        only_unacknowledged = StrictBoolean(required=False)
        resume = StrictBoolean(required=False, help_text="Resume a paused one.")

    @extend_schema(
        operation_id="subscriptions_retrieve",
        summary="Get a subscription",
        description="The subscription's channel, narrowing and state (waiting for "
        "confirmation, active, paused after failures). Needs its management token.",
        auth=TOKEN_AUTH,
        parameters=[TOKEN_HEADER],
        responses=_Subscription,
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_Subscription(self.subscription(request, pk)).data)

    @extend_schema(
        operation_id="subscriptions_update",
        summary="Change a subscription",
        description="Changes only the fields sent; `resume: true` resumes one paused after "
        "failed deliveries. The channel and e-mail address cannot be changed. Needs its "
        "management token.",
        auth=TOKEN_AUTH,
        parameters=[TOKEN_HEADER],
        request=UpdateSerializer,
        responses=_Subscription,
    )
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

    @extend_schema(
        operation_id="subscriptions_destroy",
        summary="Delete a subscription",
        description="Stops its alerts at once and forgets it. Needs its management token.",
        auth=TOKEN_AUTH,
        parameters=[TOKEN_HEADER],
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.subscription_delete(self.subscription(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubscriptionSecretRotateApi(_TokenApi):
    class OutputSerializer(serializers.Serializer[Any]):
        secret = serializers.CharField()
        previous_valid_until = serializers.DateTimeField()

    @extend_schema(
        operation_id="subscriptions_secret_rotate",
        summary="Rotate a webhook's signing secret",
        auth=TOKEN_AUTH,
        parameters=[TOKEN_HEADER],
        request=None,
        responses=OutputSerializer,
        description="A new signing secret. Until previous_valid_until every delivery carries "
        "two signatures, one per secret, so receivers can switch without losing a message. "
        "Needs its management token.",
    )
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
        summary="List a subscription's deliveries",
        auth=TOKEN_AUTH,
        parameters=[TOKEN_HEADER],
        responses=_Delivery(many=True),
        description="The subscription's delivery log, newest first (last 100): each alert's "
        "status, attempts and the receiver's answer. Needs its management token.",
    )
    def get(self, request: Request, pk: int) -> Response:
        subscription = self.subscription(request, pk)
        rows = selectors.delivery_log(subscription=subscription, limit=100)
        return Response(_Delivery(rows, many=True).data)
