"""A record type that exists only in the tests: proof that a module only declares."""
