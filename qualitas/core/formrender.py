"""The form renderer: Django's, with select boxes written in Python.

Django renders a `<select>` through a template that includes another template per option.
The filter panel of a list (site, department, owner, defect code …) carries a few hundred
options, and writing them took a third of a list page's time. The markup here is exactly
what `django/forms/widgets/select.html` gives (a test compares the two), with every value
escaped by `format_html`; a widget with its own option template goes to the templates.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

_SELECT = "django/forms/widgets/select.html"
_OPTION = "django/forms/widgets/select_option.html"


class FormRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        if template_name == _SELECT and widget is not None and _plain_options(widget):
            return _select(widget)
        return super().render(template_name, context, request)


def _plain_options(widget: dict[str, Any]) -> bool:
    return all(
        option["template_name"] == _OPTION
        for _group, options, _index in widget["optgroups"]
        for option in options
    )


def _attrs(attrs: dict[str, Any]) -> SafeString:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare ` name` for True, none for
    False."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


def _select(widget: dict[str, Any]) -> SafeString:
    groups = []
    for group_name, options, _index in widget["optgroups"]:
        written = format_html_join(
            "",
            # The option template's file ends with a newline, and so does its output.
            '\n  <option value="{}"{}>{}</option>\n',
            (
                # str(), as the template's stringformat:'s'
                (str(option["value"]), _attrs(option["attrs"]), option["label"])
                for option in options
            ),
        )
        if group_name:
            written = format_html('\n  <optgroup label="{}">{}\n  </optgroup>', group_name, written)
        groups.append((written,))
    return format_html(
        '<select name="{}"{}>{}\n</select>',
        widget["name"],
        _attrs(widget["attrs"]),
        format_html_join("", "{}", groups),
    )
