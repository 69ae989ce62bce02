"""The REST API root: auth, the one error format, and each app's router mounted under /api/v1/."""
