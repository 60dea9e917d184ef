"""Aggregates maintained from the groups table's DynamoDB Stream: per-app status counts, retention
clean-up (blobs of expired groups) and the ByAppStatus key repair (SPEC §9, docs/architecture.md)."""
