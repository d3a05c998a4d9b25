"""The ПОС import channel: one stored payload per exported row ({"columns": the row as read,
"mapping": which column held which field}), so a row is understood later exactly as it was read.
Nothing is polled and nothing is answered here: ПОС residents get their answers in ПОС."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tsur.channels.base import ChannelError, ChannelPlugin, NormalisedMessage, RawItem
from tsur.channels.pos_import.mapping import DEFAULT_COLUMNS, TARGETS, fold, parse_date
from tsur.channels.registry import register


class PosImportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="заголовки столбцов по полям, если отличаются от обычных: "
        '{"number": "Номер обращения", "text": ["Суть", "Текст"]}; поля: ' + ", ".join(DEFAULT_COLUMNS),
    )
    statuses: dict[str, str] = Field(
        default_factory=dict,
        description="значение статусов выгрузки: {\"Исполнено\": \"answered\"}; варианты: " + ", ".join(TARGETS),
    )
    check_note: str = Field(default="Ответ проверен в ПОС", description="отметка о проверке импортированного ответа")

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict) -> dict:
        unknown = sorted(set(value) - set(DEFAULT_COLUMNS))
        if unknown:
            raise ValueError(f"неизвестные поля: {', '.join(unknown)}; допустимы: {', '.join(DEFAULT_COLUMNS)}")
        return value

    @field_validator("statuses")
    @classmethod
    def _known_targets(cls, value: dict) -> dict:
        bad = sorted({v for v in value.values() if v not in TARGETS})
        if bad:
            raise ValueError(f"неизвестные значения статусов: {', '.join(bad)}; допустимы: {', '.join(TARGETS)}")
        return value


@register
class PosImportPlugin(ChannelPlugin):
    kind: ClassVar[str] = "pos_import"
    label: ClassVar[str] = "Импорт из ПОС"
    settings_model: ClassVar[type[BaseModel]] = PosImportSettings

    settings: PosImportSettings

    def __init__(self, settings: BaseModel):
        super().__init__(settings)
        self._categories: dict[str, str] | None = None

    def category_code(self, name: str) -> str:
        """The category whose name (the rubricator's topic) or code is `name`, or ""."""
        if not name:
            return ""
        if self._categories is None:
            from tsur.directory.models import Category

            index: dict[str, str] = {}
            for code, title in Category.objects.filter(is_active=True, is_public=True).values_list("code", "name"):
                index.setdefault(fold(title), code)
                index.setdefault(fold(code), code)
            self._categories = index
        return self._categories.get(fold(name), "")

    def normalise(self, item: RawItem) -> NormalisedMessage | None:
        payload = item.payload
        if not isinstance(payload, dict) or not isinstance(payload.get("columns"), dict) or not isinstance(payload.get("mapping"), dict):
            raise ChannelError("строка выгрузки ПОС в неизвестном формате")
        columns, mapping = payload["columns"], payload["mapping"]

        def cell(name: str):
            header = mapping.get(name)
            return columns.get(header) if header else None

        def text(name: str) -> str:
            value = cell(name)
            return "" if value is None else str(value).strip()

        category_name = text("category")
        return NormalisedMessage(
            external_id=item.external_id,
            text=text("text"),
            kind="row",
            created_at=parse_date(cell("date")),
            author_name=text("author"),
            author_contact=text("email") or text("phone"),
            address=text("address")[:300],
            category_code=self.category_code(category_name),
            is_public=False,
            extra={
                "category_name": category_name,
                "source_status": text("status"),
                "answer": text("answer"),
                "responsible": text("responsible"),
                "answered_at": text("answered_at"),
            },
        )
