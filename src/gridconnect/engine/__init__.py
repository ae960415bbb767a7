"""Engines that match rule conditions against facts. Only this package imports ``durable``."""
