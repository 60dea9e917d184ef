"""Authentication (JWT, report keys) and authorization (permissions, owner/app scoping)."""

from fleetreport.auth.principal import Permissions, Principal

__all__ = ["Permissions", "Principal"]
