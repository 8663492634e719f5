"""The errors casework raises, each a PortalError with a code and a translated message."""

from services_portal.core.errors import PortalError


class CaseConflict(PortalError):
    status_code = 409


class CaseNotFound(PortalError):
    """No such case, or not one the caller may see: the same answer, so nobody learns which."""

    status_code = 404
