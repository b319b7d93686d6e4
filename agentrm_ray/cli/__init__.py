"""Command-line interface (`agentrm-ray`)."""
