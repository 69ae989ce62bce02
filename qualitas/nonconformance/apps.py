from qualitas.core import modules


class NonconformanceConfig(modules.ModuleConfig):
    """Nonconformances and material review; declared in module.py."""

    name = "qualitas.nonconformance"
    label = "nonconformance"
    verbose_name = "Nonconformances"
