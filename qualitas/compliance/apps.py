from qualitas.core import modules


class ComplianceConfig(modules.ModuleConfig):
    """Frameworks of requirements and the correspondences between them; declared in
    module.py."""

    name = "qualitas.compliance"
    label = "compliance"
    verbose_name = "Compliance"
