"""What every form of the platform does with free text."""

from __future__ import annotations

from tsur.lib.safetext import BrokenText, clean_text


class CleanTextForm:
    """Mixed into a Django form: after the form's own cleaning, each text value is refused if it
    cannot be stored (a lone surrogate, NUL) and loses its invisible control characters."""

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        cleaned = getattr(self, "cleaned_data", None)
        if cleaned is None:
            return
        for name, value in list(cleaned.items()):
            if not isinstance(value, str):
                continue
            try:
                cleaned[name] = clean_text(value)
            except BrokenText as exc:
                self.add_error(name if name in self.fields else None, str(exc))  # type: ignore[attr-defined]
