"""Rows about people and sign-ins: two-factor devices, login records (django-axes) and the
moderation panel's service logos."""

from __future__ import annotations

import factory
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from moderation.models import ServiceLogo
from tests.factories.outages import ServiceFactory


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    """An authenticator app, set up and confirmed (give `user`)."""

    class Meta:
        model = TOTPDevice

    name = "phone"
    confirmed = True


class _SignInFactory(factory.django.DjangoModelFactory):
    """Who signs in, as django-axes records it."""

    class Meta:
        abstract = True

    username = "x"
    ip_address = "fd00::1"
    user_agent = "x"


class AccessLogFactory(_SignInFactory):
    """A successful sign-in, now."""

    class Meta:
        model = AccessLog


class AccessFailureLogFactory(_SignInFactory):
    """A failed sign-in, now."""

    class Meta:
        model = AccessFailureLog

    attempt_time = factory.LazyFunction(timezone.now)


class AccessAttemptFactory(_SignInFactory):
    """A lockout counter with one failure on the admin's login page."""

    class Meta:
        model = AccessAttempt

    failures_since_start = 1
    get_data = ""
    post_data = ""
    http_accept = ""
    path_info = "/admin/login/"


class ServiceLogoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceLogo

    service = factory.SubFactory(ServiceFactory)
    url = "https://example.com/logo.png"
