"""Release health (SPEC §12): device beacons, exact active/crashed device counts per version and day,
the releases reads and the rollout gate (docs/releases.md)."""
