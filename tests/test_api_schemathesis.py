"""schemathesis against the live OpenAPI document, in-process (WSGI): 0 failures.

Every operation of /api/v1 is called with generated parameters and bodies (valid ones
and, through the schema's own edges, odd ones), as a coordinator with a read+write+import
token over a small world of entries (uploads get generated multipart files: mostly refused,
422). Checks: no 5xx, and every response conforms to the document (status code
documented, content type, body schema, headers). Bounded (max_examples per operation)
so the suite stays quick; runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from greenapp import create_app
from tests.helpers import api_token, bearer

MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "20"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def api_world(app, factory, db):
    coordinator = factory.user("coordinator")
    factory.log(coordinator, note="first")
    factory.log(coordinator, category="waste", fraction="paper", unit="kg", quantity="2.5")
    resident = factory.user("resident")
    factory.log(resident)
    from greenapp.services import meters

    meters.add_meter(
        coordinator,
        coordinator.school,
        meters.MeterInput(kind="water", unit="m3", name="Main water meter"),
    )
    db.session.commit()
    # identity: the in-process WSGI transport does not undo Flask-Compress's encoding
    return {
        "headers": bearer(
            api_token(coordinator, ("read", "write", "import")), **{"Accept-Encoding": "identity"}
        )
    }


def _live_document() -> dict:
    """The document exactly as the app serves it at /api/v1/openapi.json."""
    app = create_app("testing")
    resp = app.test_client().get("/api/v1/openapi.json")
    assert resp.status_code == 200
    return resp.get_json()


# Loaded from the app's own endpoint once; each operation's test then calls a fresh app
# (the conftest's, on this run's database) in-process through WSGI.
schema = schemathesis.openapi.from_dict(_live_document())


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
def test_the_api_conforms_to_its_schema(case, app, api_world):
    case.call_and_validate(app=app, headers=api_world["headers"], checks=CHECKS)
