"""Form controls drawn straight to HTML: the filter bar's selects and inputs.

Django draws each widget through its template engine, which took more time than the
whole 20-row task table. These produce the same markup for the plain widgets the
dashboard uses; any other widget is still drawn by Django.
"""

from __future__ import annotations

from django import forms
from django.forms.boundfield import BoundField
from markupsafe import Markup, escape


def _attrs(attrs: dict) -> str:
    parts = []
    for name, value in attrs.items():
        if value is True:
            parts.append(f" {name}")
        elif value is not False and value is not None:
            parts.append(f' {name}="{escape(value)}"')
    return "".join(parts)


def _input_type(field: BoundField, attrs: dict) -> str:
    """The input's type; a date field that is a text field until it is shown
    (activities/forms.py, DateInput) is a date picker when the form has errors, since
    the filter panel is then drawn open. Its text field's attributes go from `attrs`."""
    widget = field.field.widget
    shown_type = getattr(widget, "shown_type", None)
    if not shown_type or not field.form.errors:
        return widget.input_type
    for name in widget.text_attrs:
        attrs.pop(name, None)
    return shown_type


def control(field: BoundField, extra: dict | None = None) -> Markup:
    """The HTML control of `field`, with `extra` attributes (aria-*) added."""
    widget = field.field.widget
    attrs = {**widget.attrs, **(extra or {})}
    if not field.form.use_required_attribute or not field.field.required:
        attrs.pop("required", None)
    elif not isinstance(widget, forms.HiddenInput):
        attrs["required"] = True
    attrs["id"] = attrs.get("id") or field.auto_id
    value = field.value()
    if value in (None, "") and field.field.initial is not None:
        value = field.field.initial
    if type(widget) is forms.Select:
        current = "" if value is None else str(value)
        options = "".join(
            f'<option value="{escape(v)}"{" selected" if str(v) == current else ""}>'
            f"{escape(label)}</option>"
            for v, label in field.field.choices
        )
        head = f'<select name="{escape(field.html_name)}"{_attrs(attrs)}>'
        return Markup(f"{head}{options}</select>")  # noqa: S704 (every part escaped above)  # nosec B704
    if type(widget) is forms.CheckboxInput:
        checked = " checked" if widget.check_test(value) else ""
        head = f'<input type="checkbox" name="{escape(field.html_name)}"'
        return Markup(f"{head}{_attrs(attrs)}{checked}>")  # noqa: S704 (escaped above)  # nosec B704
    if type(widget) in (forms.TextInput, forms.HiddenInput) or isinstance(widget, forms.DateInput):
        shown = widget.format_value(value)
        value_attr = "" if shown in (None, "") else f' value="{escape(shown)}"'
        input_type = _input_type(field, attrs)  # before the attributes are drawn
        head = f'<input type="{input_type}" name="{escape(field.html_name)}"'
        return Markup(f"{head}{value_attr}{_attrs(attrs)}>")  # noqa: S704 (escaped above)  # nosec B704
    return field.as_widget(attrs=extra or None)
