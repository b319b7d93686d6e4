"""Search: strategies as plain async code over the `Expander` interface, and the coordinator."""
