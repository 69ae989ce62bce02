from qualitas.core import modules


class AuditsConfig(modules.ModuleConfig):
    """Audit programmes, audits, checklists and findings; declared in module.py."""

    name = "qualitas.audits"
    label = "audits"
    verbose_name = "Audits"
