from qualitas.core import modules


class StudiesConfig(modules.ModuleConfig):
    """SPC studies kept as quality records; declared in module.py."""

    name = "qualitas.studies"
    label = "studies"
    verbose_name = "SPC studies"
