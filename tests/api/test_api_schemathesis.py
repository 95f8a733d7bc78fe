"""Property-based run of schemathesis against /api/openapi.json: no input gives a server error,
and responses match the documented schemas. Bounded: a few examples per operation, in-process WSGI,
everything rolled back afterwards."""
import itertools

import pytest
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from logistics.actor import Actor
from logistics.services.api_tokens import SCOPES, create_token

MAX_EXAMPLES = 15
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture()
def api_schema(app, session):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.fixture()
def token_headers(session):
    # Every scope, as the health office: reads with names, incident reports and care steps.
    _token, secret = create_token(session, Actor.system("schemathesis"), scopes=list(SCOPES), agency="Dinkes")
    # schemathesis calls the WSGI app itself, which does not decode gzip as an HTTP client does: ask for the
    # plain body (gzip and its ETags: tests/api/test_api_sync_and_queries.py).
    return {"Authorization": f"Bearer {secret}", "Accept-Encoding": "identity"}


@pytest.mark.timeout(240)
def test_api_conforms_and_never_errors(api_schema, token_headers):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 16
    for operation, mode in itertools.product(operations, (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def run(case):
            # Invalid input (negative mode) is judged on status and shape, not on the 2xx body schemas.
            checks = CHECKS if mode == GenerationMode.POSITIVE else [not_a_server_error, content_type_conformance]
            case.call_and_validate(headers=token_headers, checks=checks)

        run()
