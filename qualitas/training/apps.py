from qualitas.core import modules


class TrainingConfig(modules.ModuleConfig):
    """Courses, job roles, curricula, training records and the training gate; declared in
    module.py."""

    name = "qualitas.training"
    label = "training"
    verbose_name = "Training and competency"
