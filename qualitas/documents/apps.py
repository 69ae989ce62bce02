from qualitas.core import modules


class DocumentsConfig(modules.ModuleConfig):
    """Controlled documents, revisions and read-and-understood; declared in module.py."""

    name = "qualitas.documents"
    label = "documents"
    verbose_name = "Document control"
