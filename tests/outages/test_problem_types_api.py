"""The API says which problem types each category has: a categories endpoint, each service's
own list, and the OpenAPI schema (the report's `problem` names every category's types)."""

from __future__ import annotations

from typing import Any

import pytest

from outages.vocabulary import PROBLEMS_BY_CATEGORY, Category, Problem
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_the_categories_endpoint_lists_each_category_with_its_types_in_button_order(client):
    response = client.get("/api/v1/categories")

    assert response.status_code == 200
    body = response.json()
    assert [c["category"] for c in body] == list(PROBLEMS_BY_CATEGORY)
    cloud = next(c for c in body if c["category"] == "cloud")
    assert cloud["label"] == "Cloud and hosting"
    assert cloud["problems"][:3] == [
        {"problem": "api", "label": "API"},
        {"problem": "console", "label": "Console / dashboard"},
        {"problem": "dns", "label": "DNS"},
    ]
    assert response["Cache-Control"].startswith("public")


def test_each_listed_service_carries_its_category_s_types(client):
    ServiceFactory(slug="aws", name="AWS", category=Category.CLOUD)
    ServiceFactory(slug="steam", name="Steam", category=Category.GAMING)

    results = client.get("/api/v1/services").json()["results"]

    problems = {s["slug"]: s["problems"] for s in results}
    assert problems["aws"] == ["api", "console", "dns", "hosting", "deployments", "login", "other"]
    assert problems["steam"][:3] == ["servers", "login", "matchmaking"]


@pytest.fixture
def schema(client) -> dict[str, Any]:
    return client.get("/api/schema/", {"format": "json"}).json()  # type: ignore[no-any-return]


def _component(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def test_the_schema_documents_the_categories_and_each_category_s_types(schema):
    operation = schema["paths"]["/api/v1/categories"]["get"]
    assert operation["operationId"] == "categories_list"
    item = _component(
        schema, operation["responses"]["200"]["content"]["application/json"]["schema"]["items"]
    )
    problem_type = _component(schema, item["properties"]["problems"]["items"])
    assert set(_component(schema, problem_type["properties"]["problem"])["enum"]) == set(
        Problem.values
    )

    report = _component(
        schema,
        schema["paths"]["/api/v1/services/{slug}/reports"]["post"]["requestBody"]["content"][
            "application/json"
        ]["schema"],
    )
    shapes = [_component(schema, shape) for shape in report.get("oneOf", [report])]
    problem = next(shape for shape in shapes if shape["properties"]["problem"].get("description"))
    described = problem["properties"]["problem"]["description"]
    for category, problems in PROBLEMS_BY_CATEGORY.items():
        assert f"{category}: {', '.join(problems)}" in described


def test_the_schema_gives_a_listed_service_its_problems(schema):
    operation = schema["paths"]["/api/v1/services"]["get"]
    page = _component(
        schema, operation["responses"]["200"]["content"]["application/json"]["schema"]
    )
    service = _component(schema, page["properties"]["results"]["items"])
    assert service["properties"]["problems"]["type"] == "array"
    assert "problems" in service.get("required", [])
