"""A record type that exists only in the tests: proof that a module only declares."""

from qualitas.core import modules


class RecordTypesConfig(modules.ModuleConfig):
    name = "tests.recordtypes"
    label = "recordtypes"
