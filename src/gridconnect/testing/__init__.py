"""Helpers for tests: hypothesis strategies that build valid gridconnect values."""
