"""Report groups (the faynoSync contract): ingest, detail blobs, rate limits, queries and triage."""
