"""`tsur backup create|restore|verify` (scripts/backup, scripts/restore; docs/ops-drafts/backup.md)."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tsur.core import backup


class Command(BaseCommand):
    help = "Резервная копия: база данных, медиафайлы и манифест; восстановление в новую базу с проверкой."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="сделать резервную копию")
        create.add_argument("--dest", default="", help="папка для копий (по умолчанию var/backups)")
        restore = sub.add_parser("restore", help="восстановить копию в новую (пустую) базу и проверить")
        restore.add_argument("folder", help="папка копии tsur-backup-…")
        restore.add_argument("--force", action="store_true", help="заменить содержимое непустой базы и папки медиафайлов")
        verify = sub.add_parser("verify", help="сверить текущую базу и медиафайлы с манифестом копии")
        verify.add_argument("folder", help="папка копии tsur-backup-…")

    def handle(self, *args, action: str, **options) -> None:
        started = time.monotonic()
        try:
            if action == "create":
                self._create(Path(options["dest"] or Path(settings.VAR_DIR) / "backups"), started)
                return
            folder = Path(options["folder"])
            if action == "restore":
                result = backup.restore(folder, force=options["force"])
            else:
                result = backup.verify(backup.read_manifest(folder))
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self._report(result, started, "восстановлено и проверено" if action == "restore" else "проверено")

    def _create(self, dest: Path, started: float) -> None:
        folder = backup.create(dest)
        manifest = backup.read_manifest(folder)
        rows = sum(t["rows"] for t in manifest["tables"].values())
        size = sum(manifest["sizes"].values())
        self.stdout.write(str(folder))
        self.stderr.write(
            f"таблиц {len(manifest['tables'])}, строк {rows}, файлов {len(manifest['media']['files'])}, "
            f"объём копии {size / 1e6:.1f} МБ, {time.monotonic() - started:.1f} с"
        )
        for name in manifest["media"]["referenced_missing"][:10]:
            self.stderr.write(f"предупреждение: база ссылается на файл, которого нет в папке медиафайлов: {name}")
        self.stderr.write("секретный ключ в копию не входит: храните его отдельно (см. docs/ops-drafts/backup.md)")

    def _report(self, result: backup.Verification, started: float, done: str) -> None:
        for warning in result.warnings:
            self.stderr.write(f"предупреждение: {warning}")
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(problem)
            raise CommandError(f"проверка не пройдена: расхождений {len(result.problems)}")
        self.stdout.write(
            f"{done}: таблиц {result.tables}, строк {result.rows}, файлов {result.files} — совпадает с копией ({time.monotonic() - started:.1f} с)"
        )
