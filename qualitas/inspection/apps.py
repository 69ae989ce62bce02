from qualitas.core import modules


class InspectionConfig(modules.ModuleConfig):
    """Parts, characteristics, inspection plans, lots and measurements; declared in module.py."""

    name = "qualitas.inspection"
    label = "inspection"
    verbose_name = "Inspection and measurement"
