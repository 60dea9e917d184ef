"""The Gutterball report catalogue: declarations, validation, the engine and one module per report."""
