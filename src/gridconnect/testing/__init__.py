"""Helpers for tests: hypothesis strategies that build valid gridconnect values, and valid
identifiers for hand-written test data (:func:`credit_code`, :func:`resident_id`)."""

from gridconnect.testing.ids import credit_code, resident_id

__all__ = ["credit_code", "resident_id"]
