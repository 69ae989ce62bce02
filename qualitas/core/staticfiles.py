"""collectstatic for Qualitas: the npm packages ship SCSS, module variants and
right-to-left builds the pages never load; compressing them made set-up take a minute."""

from django.contrib.staticfiles.apps import StaticFilesConfig


class QualitasStaticFilesConfig(StaticFilesConfig):
    ignore_patterns = [
        *StaticFilesConfig.ignore_patterns,
        "*.scss",
        "*.ts",
        "*.cjs",
        "*.mjs",
        "*.esm.js",
        "*.amd.js",
        "*.rtl.*",
        "*.json",
        "chunks",
        "ext",
    ]
