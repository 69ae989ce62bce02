"""The platform core: organisation, policy, API conventions, UI shell; modules build on it."""
