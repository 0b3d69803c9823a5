"""OpenAPI descriptions of the error responses the routes share."""
from __future__ import annotations

from serving.schemas import ErrorBody

AUTH_ERRORS = {401: {"model": ErrorBody, "description": "Missing, unknown or revoked API key"},
               403: {"model": ErrorBody, "description": "The key lacks the route's scope"}}
SIZE_ERRORS = {413: {"model": ErrorBody, "description": "Request body too large"}}
MODEL_ERRORS = {503: {"model": ErrorBody, "description": "No model loaded, or the model lacks this task; or the "
                                                         "database is busy (with Retry-After)"}}
# What serving.main adds to every /v1 route: the body limits and the key check apply to all of them.
GUARD_ERRORS = {413: {"model": ErrorBody, "description": "Request body over the route's limit (ADUAN_MAX_*_BYTES)"},
                503: {"model": ErrorBody, "description": "The database is busy or unreachable (with Retry-After)"}}
