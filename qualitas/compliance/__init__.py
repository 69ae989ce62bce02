"""Compliance: frameworks of requirements, their mappings, and the evidence that meets them."""
