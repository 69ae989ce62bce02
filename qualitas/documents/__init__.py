"""Controlled documents: revisions, review and approval, effectiveness, read-and-understood."""
