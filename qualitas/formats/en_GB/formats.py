"""British English as Django has it, except that forms write dates in ISO 8601 (which the
date inputs of every browser read); typed British dates are still accepted."""

from django.conf.locale.en_GB.formats import *  # noqa: F403

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",  # what <input type="datetime-local"> reads and sends
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
]
