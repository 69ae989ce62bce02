"""Core HTML views."""
