"""Property: whatever JSON, strings and numbers reach any route of the OpenAPI schema, the answer is never
a 5xx. Bounded: a few generated requests per route, on an empty knowledge base."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import auth
from bot.store.db import session_scope
from connectors.app import create_app
from connectors.runtime import Runtime

EXAMPLES_PER_ROUTE = 6
# Streams that never end by design (the live desk pushes until the agent leaves): probed without credentials
# only, which must be refused at once; tests/connectors/web/test_agent_desk_api.py reads them for real.
ENDLESS_STREAMS = {"/api/agent/events"}

# Text with what broke routes before: lone surrogates, full-width digits, bidi overrides, NUL, huge numbers.
NASTY = st.sampled_from(["\ud800", "a\udfffb", "５６７８", "\u202eevil", "\x00", "1e400", "NaN", "-1",
                         str(2**64), "../../etc/passwd", "<script>alert(1)</script>", "wechat:oX", ""])
TEXT = st.one_of(NASTY, st.text(alphabet=st.characters(codec=None), max_size=30), st.text(max_size=10))
NUMBER = st.one_of(st.integers(), st.integers(min_value=2**63 - 2, max_value=2**70),
                   st.integers(min_value=-(2**70), max_value=-(2**63) + 2),
                   st.floats(allow_nan=True, allow_infinity=True))
SCALAR = st.one_of(st.none(), st.booleans(), NUMBER, TEXT)
JSON = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                    st.dictionaries(TEXT, inner, max_size=4)), max_leaves=8)


def _q(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _body_schema(op: dict[str, Any], components: dict[str, Any]) -> dict[str, Any] | None:
    content = op.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if schema and "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _bodies(schema: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    """Arbitrary JSON, or an object with the schema's field names and arbitrary values."""
    names = sorted((schema or {}).get("properties", {}))
    if not names:
        return JSON
    shaped = st.fixed_dictionaries({}, optional={n: st.one_of(SCALAR, JSON) for n in names})
    valid_text = st.fixed_dictionaries({n: st.one_of(TEXT, st.just("你好")) for n in names})
    return st.one_of(JSON, shaped, valid_text)


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    ops = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "delete", "patch"):
                ops.append((method.upper(), path, op))
    return ops


@pytest.fixture
def app_and_token():  # noqa: ANN201
    runtime = Runtime()
    with session_scope(runtime.db_url) as db:
        token = auth.create_token(db, role="admin", name="模糊测试")
    return create_app(runtime, run_worker=False), token


def _probe(client: TestClient, token: str, method: str, path: str, op: dict[str, Any],
           components: dict[str, Any], failures: list[str]) -> None:
    """A few generated requests at one operation; 5xx answers are collected in `failures`."""
    params = op.get("parameters", [])
    has_body = "requestBody" in op

    @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(values=st.fixed_dictionaries({p["name"]: st.one_of(TEXT, NUMBER) for p in params}),
           body=_bodies(_body_schema(op, components)) if has_body else st.none(), authed=st.booleans())
    def probe(values: dict[str, Any], body: Any, authed: bool) -> None:
        url = path
        query = []
        for p in params:
            if p["in"] == "path":
                url = url.replace("{" + p["name"] + "}", _q(values[p["name"]]) or "x")
            elif p["in"] == "query":
                query.append(f"{quote(p['name'])}={_q(values[p['name']])}")
        if query:
            url += "?" + "&".join(query)
        headers = {"Authorization": f"Bearer {token}"} if authed and path not in ENDLESS_STREAMS else {}
        content = None
        if has_body:
            headers["content-type"] = "application/json"
            content = json.dumps(body, allow_nan=True).encode()
        res = client.request(method, url, content=content, headers=headers)
        # 503 is a meaning, not a failure, where it is the contract: readiness, or a turn shed with Retry-After.
        meant = res.status_code == 503 and (path == "/healthz" or "retry-after" in res.headers)
        if res.status_code >= 500 and not meant:
            failures.append(f"{method} {url} body={content!r} -> {res.status_code} {res.text[:200]}")

    probe()


def test_no_route_answers_5xx_to_generated_input(app_and_token) -> None:  # noqa: ANN001
    app, token = app_and_token
    schema = app.openapi()
    components = schema.get("components", {}).get("schemas", {})
    ops = _operations(schema)
    assert len(ops) >= 30, "every JSON route is in the schema"
    failures: list[str] = []
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, path, op in ops:
            _probe(client, token, method, path, op, components, failures)
    assert not failures, "\n".join(failures[:20])
