"""An alert can be narrowed to a problem type: only to one of the service's own (its
category's), the only types ever reported about it."""

from __future__ import annotations

import re

import pytest

from alerts.models import Subscription
from alerts.services.subscriptions import SubscriptionInvalid, subscription_create
from alerts.tasks import confirmation_enqueue
from outages.vocabulary import Category
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_the_notify_form_offers_the_service_s_own_problem_types(client):
    ServiceFactory(slug="aws", name="AWS", category=Category.CLOUD)
    ServiceFactory(slug="paypal", name="PayPal", category=Category.FINANCE)

    def offered(slug: str) -> list[str]:
        page = client.get(f"/s/{slug}/").content.decode()
        select = re.search(r'<select name="notify-problem".*?</select>', page, re.S)
        assert select is not None
        return re.findall(r'<option value="([a-z]*)"', select.group(0))

    assert offered("aws") == [
        "",
        "api",
        "console",
        "dns",
        "hosting",
        "deployments",
        "login",
        "other",
    ]
    assert offered("paypal")[:4] == ["", "login", "payments", "card"]


def test_a_filter_on_another_category_s_type_is_refused_naming_the_allowed_ones():
    bank = ServiceFactory(slug="paypal", name="PayPal", category=Category.FINANCE)

    with pytest.raises(SubscriptionInvalid) as refused:
        subscription_create(
            service=bank,
            channel="email",
            email="a@example.org",
            problem="dns",
            confirmation_enqueue=confirmation_enqueue,
        )

    [(field, reason)] = refused.value.errors
    assert field == "problem" and "login, payments, card" in reason
    assert not Subscription.objects.exists()
