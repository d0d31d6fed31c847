"""The OpenAPI schema validates and matches what every operation really answers.

Schemathesis generates requests for every operation from the schema and sends them to the
project's own WSGI application in-process, with a curator's token so that writes run too.
"""

import functools

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from inspired_site.wsgi import application

from .factories import UserFactory
from .test_api_fixtures import _fresh_throttle_counts, build_catalog  # noqa: F401

# Valid and invalid inputs alike; the coverage and stateful phases would multiply the run
# time far past what a test suite can afford.
FUZZ_CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"mode": "all", "max-examples": 3, "deterministic": True},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", application, config=FUZZ_CONFIG
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@functools.cache
def generated_schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_is_valid_openapi_3():
    document = generated_schema()
    validate_schema(document)  # raises on any violation of the OpenAPI 3.0 meta-schema
    assert document["openapi"].startswith("3.0")


def test_schema_covers_every_resource_and_action():
    paths = generated_schema()["paths"]
    for resource in [
        "artists",
        "videos",
        "video-sources",
        "scenes",
        "cast-members",
        "appearances",
        "products",
        "product-images",
        "product-types",
        "product-styles",
        "retailers",
        "offers",
        "webhooks",
    ]:
        assert set(paths[f"/api/v1/{resource}/"]) >= {"get", "post"}
        assert set(paths[f"/api/v1/{resource}/{{id}}/"]) >= {"get", "put", "patch", "delete"}
    assert "/api/v1/videos/{id}/scenes/" in paths
    assert "/api/v1/videos/{id}/products/" in paths
    assert "/api/v1/auth/login/" in paths
    assert "post" in paths["/api/v1/offers/upsert/"]
    assert "get" in paths["/api/v1/webhooks/{id}/deliveries/"]
    assert "post" in paths["/api/v1/webhooks/{id}/test/"]
    schemes = generated_schema()["components"]["securitySchemes"]
    assert schemes["retailerToken"]["name"] == "Authorization"


def test_schema_names_every_parameter_and_response():
    for path, operations in generated_schema()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                assert parameter["name"] and "schema" in parameter, (path, method, parameter)
            codes = set(operation["responses"])
            assert codes & {"200", "201", "204"}, (path, method)
            assert {"400", "401", "403", "404", "429"} <= codes, (path, method)


@pytest.fixture
def keep_test_connection():
    """Stop the WSGI handler closing the test's database connection after each request.

    Django closes connections whose autocommit state looks unusual at request boundaries;
    inside a test transaction that would drop the transaction (MariaDB) and its data.
    Django's own test client does the same disconnecting.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def curator_token(db, settings, keep_test_connection):
    # The fuzz run sends a few hundred requests; keep it clear of the production rates.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None, "login": None},
    }
    build_catalog(1, children=1)
    _, token = AuthToken.objects.create(UserFactory(curator=True))
    return token


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_says(case, curator_token):
    case.call_and_validate(headers={"Authorization": f"Token {curator_token}"}, checks=CHECKS)
