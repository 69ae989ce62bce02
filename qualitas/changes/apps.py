from qualitas.core import modules


class ChangesConfig(modules.ModuleConfig):
    """Change requests and their change control board; declared in module.py."""

    name = "qualitas.changes"
    label = "changes"
    verbose_name = "Change control"
