"""Compliance snapshots (the Gutterball side): Candlepin events in, consumer state and snapshots stored."""
