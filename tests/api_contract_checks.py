"""schemathesis checks of the portal's own, for the contract tests and for a run by hand (README, "The API
contract": `SCHEMATHESIS_HOOKS=tests.api_contract_checks st run ...`).

schemathesis' `positive_data_acceptance` expects every request that fits the schema to succeed. Some of the
portal's rules cannot be written in a schema: a resident ID number's check character, a service code that
must be in the catalog, a tag the person must have. Those answer 400 with their own `error.code`. This check
is `positive_data_acceptance` except for such answers: a 400 whose code is one of the generic ones (the
input did not parse or did not fit the serializer) still fails, because then the schema and the code disagree.
"""

from __future__ import annotations

import json

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

# The codes of errors about the shape of the input, which the schema states and so must not happen to
# schema-valid input. Any other code is a domain rule the schema cannot state.
SHAPE_ERRORS = {"invalid", "parse_error", "unsupported_media_type", "bad_request"}


def _error_code(response) -> str | None:
    try:
        body = json.loads(response.content)
        return body["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


@schemathesis.check
def positive_data_acceptance_beyond_the_schema(ctx, response, case):
    """Schema-valid input is accepted unless a domain rule the schema cannot state refuses it (400 + its code)."""
    if response.status_code == 400 and (_error_code(response) or "invalid") not in SHAPE_ERRORS:
        return None
    return positive_data_acceptance(ctx, response, case)
