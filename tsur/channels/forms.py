"""Admin forms of channels: settings are validated by the plugin's own settings model, so what an
administrator saves is exactly what the plugin will run with."""

from __future__ import annotations

import json

from django import forms
from django.utils.html import escape

from tsur.channels import registry
from tsur.channels.models import ChannelConfig

# Russian wording for pydantic's built-in error types; custom validators already speak Russian.
PYDANTIC_MESSAGES = {
    "missing": "обязательное поле",
    "extra_forbidden": "неизвестное поле",
    "int_parsing": "нужно целое число",
    "int_type": "нужно целое число",
    "float_parsing": "нужно число",
    "float_type": "нужно число",
    "bool_parsing": "нужно true или false",
    "bool_type": "нужно true или false",
    "string_type": "нужна строка",
    "list_type": "нужен список",
    "dict_type": "нужен объект",
    "greater_than_equal": "значение слишком мало",
    "less_than_equal": "значение слишком велико",
    "greater_than": "значение слишком мало",
    "less_than": "значение слишком велико",
    "string_too_short": "слишком короткая строка",
    "string_too_long": "слишком длинная строка",
    "literal_error": "недопустимое значение",
    "enum": "недопустимое значение",
    "url_parsing": "нужен адрес URL",
}


def settings_errors(exc) -> list[str]:
    """Readable lines from a pydantic ValidationError: «поле: что не так»."""
    lines = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ())) or "настройки"
        message = PYDANTIC_MESSAGES.get(error.get("type", ""))
        if message is None:
            message = str(error.get("msg", "недопустимое значение")).removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return lines


def validate_settings(kind: str, raw: dict) -> dict:
    """The settings as the plugin's model normalises them, or forms.ValidationError."""
    try:
        plugin = registry.get(kind)
    except KeyError:
        raise forms.ValidationError(f"Нет модуля канала вида «{kind}».") from None
    if not isinstance(raw, dict):
        raise forms.ValidationError("Настройки должны быть объектом JSON: {\"поле\": значение, …}.")
    try:
        return plugin.validate_settings(raw).model_dump(mode="json")
    except Exception as exc:
        if hasattr(exc, "errors"):
            raise forms.ValidationError(settings_errors(exc)) from None
        raise forms.ValidationError(f"Настройки не прошли проверку: {exc}") from None


def settings_help(kind: str) -> str:
    """The plugin's settings as a short list: name, default and description."""
    try:
        model = registry.get(kind).settings_model
    except KeyError:
        return ""
    lines = []
    for name, info in model.model_fields.items():
        if info.is_required():
            default = "обязательное"
        else:
            value = info.get_default(call_default_factory=True)
            default = f"по умолчанию {json.dumps(value, ensure_ascii=False, default=str)}"
        lines.append(f"{name} ({default}){': ' + info.description if info.description else ''}")
    return "; ".join(lines)


class ChannelConfigForm(forms.ModelForm):
    kind = forms.ChoiceField(label="вид канала")
    settings = forms.JSONField(
        label="настройки",
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 90, "style": "font-family: monospace"}),
        help_text="Объект JSON; проверяется модулем канала при сохранении.",
    )

    class Meta:
        model = ChannelConfig
        fields = ("code", "name", "kind", "enabled", "settings")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, f"{label} ({k})") for k, label in registry.kinds()]
        kind = self.initial.get("kind") or (self.instance.kind if self.instance.pk else "")
        if kind:
            help_text = settings_help(kind)
            if help_text:
                # Admin renders help texts as HTML: the plugin's descriptions are text.
                self.fields["settings"].help_text = escape(f"Поля: {help_text}")

    def clean(self) -> dict:
        data = super().clean()
        kind = data.get("kind")
        if kind and "settings" in data:
            try:
                data["settings"] = validate_settings(kind, data.get("settings") or {})
            except forms.ValidationError as exc:
                self.add_error("settings", exc)
        return data


class PosImportForm(forms.Form):
    file = forms.FileField(label="файл выгрузки ПОС (CSV или XLSX)")
    mapping = forms.JSONField(
        label="соответствие столбцов (необязательно)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 90, "style": "font-family: monospace"}),
        help_text='Например: {"number": "Номер обращения", "text": "Суть"}. Пусто — по умолчанию и настройкам канала.',
    )
    dry_run = forms.BooleanField(label="пробный прогон (ничего не записывать)", required=False, initial=True)
