"""The audit log is written with the action, inside its transaction, or not at all."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from common.audit import audit_record
from moderation.models import AuditEntry
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_action_that_fails_leaves_no_log_row_and_no_change():
    moderator = User.objects.create_user("mod")
    service = ServiceFactory(name="Before")
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        service.name = "After"
        service.save()
        audit_record(
            actor=moderator,
            action="service.rename",
            target=service,
            before={"name": "Before"},
            after={"name": "After"},
        )
        1 / 0  # noqa: B018 - the action fails after its change and its log row
    service.refresh_from_db()
    assert service.name == "Before"
    assert not AuditEntry.objects.exists()


def test_a_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        audit_record(actor=None, action="x", target=ServiceFactory(), before={}, after={})


def test_a_recorded_action_names_who_what_and_the_states():
    moderator = User.objects.create_user("mod")
    service = ServiceFactory()
    with transaction.atomic():
        audit_record(
            actor=moderator,
            action="service.rename",
            target=service,
            before={"name": "A"},
            after={"name": "B"},
        )
    entry = AuditEntry.objects.get()
    assert (entry.actor_name, entry.action, entry.target_type) == (
        "mod",
        "service.rename",
        "outages.service",
    )
    assert (entry.before, entry.after) == ({"name": "A"}, {"name": "B"})
