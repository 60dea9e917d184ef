"""Daily rollups (SPEC §5): status counts and report-group counts per closed UTC day, and their readers."""
