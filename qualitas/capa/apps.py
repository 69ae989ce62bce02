from qualitas.core import modules


class CapaConfig(modules.ModuleConfig):
    """Corrective and preventive action; declared in module.py."""

    name = "qualitas.capa"
    label = "capa"
    verbose_name = "CAPA"
