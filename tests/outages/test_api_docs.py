"""What /api/docs/ shows, checked on the served schema: every operation says what it does (a
summary and a description), and only the operations that need a secret carry a security
requirement (Swagger UI draws a lock on those). Public reads, reports and new subscriptions
are anonymous; the optional partner key is described, not required."""

from __future__ import annotations

from typing import Any

import pytest

# The operations on one subscription: the holder of its management token only.
TOKEN_OPERATIONS = {
    "subscriptions_retrieve",
    "subscriptions_update",
    "subscriptions_destroy",
    "subscriptions_deliveries",
    "subscriptions_secret_rotate",
}


@pytest.fixture
def operations(client) -> dict[str, dict[str, Any]]:
    schema = client.get("/api/schema/", headers={"accept": "application/json"}).json()
    return {
        operation["operationId"]: operation
        for path in schema["paths"].values()
        for operation in path.values()
    }


def test_every_operation_has_a_summary_and_a_description(operations):
    missing = [
        op_id
        for op_id, operation in operations.items()
        if not operation.get("summary", "").strip() or len(operation.get("description", "")) < 40
    ]

    assert len(operations) >= 13
    assert missing == []


def test_no_description_is_an_internal_docstring(operations):
    internal = [
        op_id
        for op_id, operation in operations.items()
        if "OpenAPI" in operation["description"] or "handler" in operation["description"]
    ]

    assert internal == []


def test_public_operations_declare_no_security_so_show_no_lock(operations):
    public = {op_id: op for op_id, op in operations.items() if op_id not in TOKEN_OPERATIONS}

    assert {op_id for op_id, op in public.items() if op.get("security")} == set()
    assert {"services_list", "services_status", "reports_create", "subscriptions_create"} <= set(
        public
    )
    reads = [op for op_id, op in public.items() if op_id.startswith(("services_", "incidents_"))]
    assert all("partner API key" in op["description"] for op in reads)


def test_subscription_operations_need_the_management_token(client, operations):
    schema = client.get("/api/schema/", headers={"accept": "application/json"}).json()

    for op_id in TOKEN_OPERATIONS:
        assert operations[op_id]["security"] == [{"SubscriptionToken": []}], op_id
    schemes = schema["components"]["securitySchemes"]
    assert schemes["SubscriptionToken"] == {
        **schemes["SubscriptionToken"],
        "type": "http",
        "scheme": "bearer",
    }
    assert {"PartnerBearer", "PartnerApiKey"} <= set(schemes)  # documented, never required
