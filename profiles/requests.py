"""The requests that views behind a sign-in receive, typed so that `request.user` is the portal's User.

The checks themselves (login_required, permission_required, DRF's permission classes) run before the
view; these types only tell the type checker what those checks have already made true.
"""

from rest_framework.request import Request

from accessibility.middleware import DisplayHttpRequest
from profiles.models import User


class AuthenticatedHttpRequest(DisplayHttpRequest):
    """A page request from a signed-in user."""

    user: User


class AuthenticatedRequest(Request):
    """An API request that an `Allowed` permission class has let through, so from a signed-in user."""

    user: User
