"""Alerts and rollout health (SPEC §10): signals, rules, the alert log and webhook delivery."""
