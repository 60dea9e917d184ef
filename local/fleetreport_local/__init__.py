"""Local development tools: the template reader, the local stack on moto, and the `fleetreport` CLI."""
