"""schemathesis against /api/v1/schema/, with real token authentication: no 5xx, answers that match the schema.

Every operation of the OpenAPI schema gets generated requests (valid and invalid), sent in-process to the WSGI
application as a regional lead (who sees part of the data, writes in its region) and national steering.
The budget is small (a few examples per operation) so that it runs in `make test`; raise FUZZ_EXAMPLES to dig.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


def _schema(user):
    client = APIClient()
    client.force_authenticate(user)
    document = client.get("/api/v1/schema/", {"format": "json"}).json()
    schema = schemathesis.openapi.from_dict(document)
    schema.app = get_wsgi_application()
    return schema


@contextmanager
def keep_the_test_transaction():
    """Requests sent straight to the WSGI app must not close the test's connection (Django's test client, which
    fetched the schema, reconnects these receivers after each of its requests)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("user_name", ["lead_bzh", "national"])
def test_the_api_answers_as_its_schema_says(world, user_name):
    user = getattr(world, user_name)
    token = Token.objects.create(user=user)
    headers = {"Authorization": f"Token {token.key}"}
    schema = _schema(user)
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        label = operation.label

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (
                AssertionError,
                BaseExceptionGroup,
            ) as exc:  # collected, to report every operation at once
                key = f"{label} {type(exc).__name__}"  # noqa: B023 - runs before the loop moves on
                failures.setdefault(key, str(exc)[:700])

        with keep_the_test_transaction():
            check()
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in list(failures.items())[:12])
