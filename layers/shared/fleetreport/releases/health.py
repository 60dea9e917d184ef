"""Per-app release health settings (SPEC §12): the gate's crash-free threshold and minimum devices.

They live in the app's §10 alert rules as `release_health: {"threshold", "min_devices"}` (parsed
here, stored by alerts/rules.py), so one PUT sets what alerts and the gate both judge by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fleetreport.errors import BadRequest

DEFAULT_THRESHOLD = 99.0
DEFAULT_MIN_DEVICES = 250
MAX_MIN_DEVICES = 100_000_000


@dataclass(frozen=True)
class ReleaseHealth:
    threshold: float = DEFAULT_THRESHOLD
    min_devices: int = DEFAULT_MIN_DEVICES

    def to_json(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "min_devices": self.min_devices}

    def to_item(self) -> dict[str, Any]:
        return {"threshold": Decimal(str(self.threshold)), "min_devices": self.min_devices}

    @classmethod
    def from_item(cls, value: Any) -> ReleaseHealth:
        if not isinstance(value, Mapping):
            return cls()
        return cls(
            threshold=float(value.get("threshold", DEFAULT_THRESHOLD)),
            min_devices=int(value.get("min_devices", DEFAULT_MIN_DEVICES)),
        )


def parse_release_health(value: Any) -> ReleaseHealth:
    """`release_health` of a rules PUT (absent: the defaults); 400 naming what is wrong."""
    if value is None:
        return ReleaseHealth()
    if not isinstance(value, dict):
        raise BadRequest("invalid release_health")
    threshold = value.get("threshold", DEFAULT_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 100:
        raise BadRequest("invalid release_health.threshold: a number from 0 to 100")
    min_devices = value.get("min_devices", DEFAULT_MIN_DEVICES)
    if (
        isinstance(min_devices, bool)
        or not isinstance(min_devices, int)
        or not 1 <= min_devices <= MAX_MIN_DEVICES
    ):
        raise BadRequest(f"invalid release_health.min_devices: a whole number from 1 to {MAX_MIN_DEVICES}")
    return ReleaseHealth(float(threshold), min_devices)
