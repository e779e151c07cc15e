"""/api/openapi.json: a valid OpenAPI 3 document that tells the truth about
every route and parameter it lists."""

import pytest
import requests

from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

ROUTES = {"/api/matches/", "/api/matches/{id}/", "/api/matches/{id}/messages/", "/api/titles/",
          "/api/tournaments/", "/api/teams/", "/api/search/", "/api/changes/", "/healthz",
          "/metrics"}


@pytest.fixture(scope="module")
def doc(stack, fixtures):
    stack.publish_applied([(fixtures / f"message{i}.json").read_bytes() for i in range(1, 5)])
    r = stack.get("/api/openapi.json")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    return r.json()


def match_id(stack):
    return stack.scalar("SELECT m.id FROM matches m JOIN sources s ON s.id = m.source_id "
                        "WHERE s.name = 'source1' AND m.external_id = '1'")


def required(op):
    """The query parameters a request must carry, at their examples."""
    return {p["name"]: p["example"] for p in op.get("parameters", [])
            if p["in"] == "query" and p.get("required")}


def operations(stack, doc):
    """(path, operation) of every route this stack can answer: search only
    when it runs a search engine."""
    for path, item in doc["paths"].items():
        if path == "/api/search/" and not stack.es:
            continue
        yield path, item["get"]


def check_body(doc, op, r):
    content = op["responses"][str(r.status_code)]["content"]
    ctype = r.headers["Content-Type"].split(";")[0]
    assert ctype in content, (ctype, list(content))
    if ctype == "application/json":
        schema = dict(content[ctype]["schema"], components=doc["components"])
        OAS30Validator(schema).validate(r.json())


def test_the_document_is_valid_openapi_3(doc):
    validate(doc)
    assert doc["openapi"].startswith("3.")


def test_it_lists_every_route(doc):
    assert set(doc["paths"]) == ROUTES


def test_every_route_answers_as_described(stack, doc):
    mid = match_id(stack)
    for path, op in operations(stack, doc):
        r = stack.get(path.replace("{id}", mid), params=required(op))
        assert str(r.status_code) in op["responses"], (path, r.status_code)
        assert r.status_code == 200, path
        check_body(doc, op, r)


def test_every_parameter_answers_as_described(stack, doc):
    for path, op in operations(stack, doc):
        for p in op.get("parameters", []):
            if p["in"] != "query":
                continue
            r = stack.get(path, params=dict(required(op), **{p["name"]: p["example"]}))
            assert r.status_code == 200, (path, p["name"], r.text)
            check_body(doc, op, r)
            bad = stack.get(path, params=dict(required(op),
                                              **{p["name"]: "\u00a0bad\u00a0value\u00a0" * 2}))
            if p["schema"].get("type") == "integer" or "enum" in p["schema"]:
                assert bad.status_code == 400, (path, p["name"])
                check_body(doc, op, bad)
                assert p["name"] in bad.json()["errors"]
