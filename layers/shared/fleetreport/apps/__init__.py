"""Apps and their report keys (SPEC §3.6): storage, key hashing and the admin rules."""
