"""User-facing Chinese sentences, one module per capability, so they are reviewed and changed together."""
