"""The Siaga TPS domain: models, service functions and plain rules (no Flask in here)."""
