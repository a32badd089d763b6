"""The API's JSON is bounded in size and nesting before it is parsed: a thousand `[` answer 400, not 500 (issue 24)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from bascule.core.parsers import MAX_JSON_DEPTH, json_depth

DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.django_db
def test_deep_json_is_a_400_without_login(client):
    response = client.post("/api/v1/auth/token/", DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "imbriqué" in response.json()["detail"]


@pytest.mark.django_db
def test_deep_or_huge_json_is_a_400_for_a_signed_in_client(base_world, settings):
    api = APIClient()
    api.force_authenticate(base_world.national)
    assert api.post("/api/v1/tickets/", DEEP, content_type="application/json").status_code == 400
    nested_objects = '{"a":' * 200 + "1" + "}" * 200
    assert api.post("/api/v1/tickets/", nested_objects, content_type="application/json").status_code == 400
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(base_world.national)
    response = api.post(
        "/api/v1/tickets/", '{"subject": "' + "x" * 2000 + '"}', content_type="application/json"
    )
    assert response.status_code == 400  # Django's own bound (RequestDataTooBig) or the parser's


@pytest.mark.django_db
def test_brackets_inside_strings_do_not_count_and_a_normal_body_parses(client):
    body = '{"username": "' + "[" * 500 + '\\"[", "password": "x"}'
    response = client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400  # refused for its credentials, after being parsed
    assert "imbriqué" not in response.content.decode()


@given(
    st.recursive(
        st.none() | st.integers() | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
        max_leaves=30,
    )
)
def test_depth_matches_the_structure(value):
    import json

    def depth(item):
        if isinstance(item, list):
            return 1 + max((depth(x) for x in item), default=0)
        if isinstance(item, dict):
            return 1 + max((depth(x) for x in item.values()), default=0)
        return 0

    expected = depth(value)
    assert json_depth(json.dumps(value).encode(), limit=MAX_JSON_DEPTH) == min(expected, MAX_JSON_DEPTH + 1)
