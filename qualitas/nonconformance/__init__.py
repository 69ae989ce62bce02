"""Nonconformances: control of nonconforming output (ISO 9001 8.7, ISO 13485 8.3)."""
