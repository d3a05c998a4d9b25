"""Russian formats: date and time as the workspace writes them («05.12.2026 12:30») wherever Django
formats a datetime by default (the admin's read-only fields and lists), and «5 декабря» instead of
Django's «5 Декабрь» (the admin's date navigation)."""

DATETIME_FORMAT = "d.m.Y H:i"
MONTH_DAY_FORMAT = "j E"
