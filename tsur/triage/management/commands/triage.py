"""`tsur triage train|evaluate|train-orgs|build-default`: train and measure the triage models.

    tsur triage train --data FILE --text COLUMN --label COLUMN [--context COLUMN ...] --out DIR
    tsur triage evaluate --data FILE --text COLUMN --label COLUMN [--context COLUMN ...]
                         (--time-column COLUMN | --cv K) [--json FILE]
    tsur triage evaluate --default [--shared DIR] [--cv K] [--json FILE]      # Kursk CV of the default model recipe
    tsur triage evaluate --orgs --data FILE [--text …] [--category …] [--territory …] [--org …] [--time-column …]
    tsur triage train-orgs (--data FILE [--text COLUMN --category COLUMN --territory COLUMN --org COLUMN] | --from-db) --out DIR
    tsur triage build-default [--shared DIR] [--out DIR] [--corrections FILE ...] [--evaluation FILE]

The engine (tsur.triage.engine) does the work; this command parses arguments and prints JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tsur.triage.engine.features import FeatureParams
from tsur.triage.engine.train import TrainConfig


def default_shared() -> Path:
    env = os.environ.get("TSUR_SHARED_DATA")
    return Path(env) if env else Path(settings.BASE_DIR).parent / "shared" / "data"


def _config(options: dict) -> TrainConfig:
    cfg = TrainConfig(features=FeatureParams(context_columns=list(options.get("context") or [])))
    if options.get("C") is not None:
        cfg.C = options["C"]
    if options.get("balance") is not None:
        cfg.balance = options["balance"]
    return cfg


class Command(BaseCommand):
    help = "Train and evaluate triage models (subcommands: train, evaluate, train-orgs, build-default)."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        train = sub.add_parser("train", help="train a classifier for any label column")
        train.add_argument("--data", required=True, help="CSV, CSV.gz or JSONL file")
        train.add_argument("--text", required=True, help="text column")
        train.add_argument("--label", required=True, help="label column (predicted into `category`)")
        train.add_argument("--context", nargs="*", default=[], help="categorical context columns (e.g. city_object district)")
        train.add_argument("--out", required=True, help="model directory to write")
        train.add_argument("--C", type=float, default=None, help="regularisation (default 0.5)")
        train.add_argument("--balance", type=float, default=None, help="class weighting 0..1 (default 0.5)")

        ev = sub.add_parser("evaluate", help="measure on a time split or by cross-validation")
        ev.add_argument("--data", help="CSV, CSV.gz or JSONL file")
        ev.add_argument("--text", default="text")
        ev.add_argument("--label", default="category")
        ev.add_argument("--context", nargs="*", default=[])
        ev.add_argument("--time-column", default="", help="time split: test on the newest month of this column")
        ev.add_argument("--test-month", default="", help="time split: this month (YYYY-MM) instead of the newest")
        ev.add_argument("--cv", type=int, default=0, help="k-fold cross-validation grouped by normalised text")
        ev.add_argument("--default", action="store_true", help="Kursk cross-validation of the default model recipe")
        ev.add_argument("--orgs", action="store_true", help="organisation suggestion on a time split")
        ev.add_argument("--category", default="category", help="--orgs: category column")
        ev.add_argument("--territory", default="district", help="--orgs: territory column")
        ev.add_argument("--org", default="responsible_org", help="--orgs: organisation column")
        ev.add_argument("--shared", default="", help="--default: the shared data folder (default ../shared/data)")
        ev.add_argument("--json", default="", help="also write the full report (per-class figures, confusion) here")
        ev.add_argument("--C", type=float, default=None)
        ev.add_argument("--balance", type=float, default=None)

        orgs = sub.add_parser("train-orgs", help="train the organisation suggester")
        source = orgs.add_mutually_exclusive_group(required=True)
        source.add_argument("--data", help="CSV, CSV.gz or JSONL file of a history")
        source.add_argument("--from-db", action="store_true", help="this platform's routed appeals (text masked)")
        orgs.add_argument("--text", default="text")
        orgs.add_argument("--category", default="category")
        orgs.add_argument("--territory", default="district")
        orgs.add_argument("--org", default="responsible_org")
        orgs.add_argument("--out", required=True)

        build = sub.add_parser("build-default", help="train the shipped default model from ../shared/data")
        build.add_argument("--shared", default="", help="the shared data folder (default ../shared/data)")
        build.add_argument("--out", default="", help="model directory (default: tsur/triage/models/default/sector)")
        build.add_argument("--taxonomy", default="", help="taxonomy JSON (default: tsur/demo/data/taxonomy.json)")
        build.add_argument(
            "--corrections", nargs="*", default=[], help="operators' corrections (JSONL from `tsur triage_corrections`) to train on too"
        )
        build.add_argument("--evaluation", default="", help="JSON report of `evaluate --default` to record in the manifest")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        try:
            if action == "train":
                self._train(options)
            elif action == "evaluate":
                self._evaluate(options)
            elif action == "train-orgs":
                self._train_orgs(options)
            elif action == "build-default":
                self._build_default(options)
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(str(exc)) from exc

    # -- train -------------------------------------------------------------------------------
    def _train(self, options: dict) -> None:
        from tsur.triage.engine.train import iter_column, read_table, train_text_model

        rows = read_table(options["data"])
        if not rows:
            raise CommandError(f"{options['data']}: no rows")
        for column in [options["text"], options["label"], *options["context"]]:
            if column not in rows[0]:
                raise CommandError(f"{options['data']}: no column {column!r} (columns: {', '.join(rows[0])})")
        contexts = [{c: str(r.get(c) or "") for c in options["context"]} for r in rows] if options["context"] else None
        model = train_text_model(
            list(iter_column(rows, options["text"])),
            [v or None for v in iter_column(rows, options["label"])],
            contexts=contexts,
            config=_config(options),
            info={
                "kind": "text",
                "label_column": options["label"],
                "text_column": options["text"],
                "data": {"file": Path(options["data"]).name, "rows": len(rows)},
            },
        )
        model.save(options["out"])
        head = model.heads[model.primary]
        self.stdout.write(
            json.dumps(
                {"out": options["out"], "labels": len(head.labels), "train_rows": head.info["train_rows"], "temperature": round(head.temperature, 4)},
                ensure_ascii=False,
            )
        )

    # -- evaluate ----------------------------------------------------------------------------
    def _evaluate(self, options: dict) -> None:
        from tsur.triage.engine import evaluate as ev
        from tsur.triage.engine.train import read_table

        if options["default"]:
            from tsur.triage.engine.recipe import DefaultRecipe, load_taxonomy

            shared = Path(options["shared"]) if options["shared"] else default_shared()
            if not (shared / "kursk" / "train.csv").is_file():
                raise CommandError(f"{shared}: the Kursk data are not there (give --shared)")
            taxonomy = load_taxonomy(Path(settings.BASE_DIR) / "tsur" / "demo" / "data" / "taxonomy.json")
            report = ev.evaluate_default_cv(str(shared), taxonomy, DefaultRecipe(), k=options["cv"] or 5)
            summary = {
                "protocol": report["protocol"],
                "block": _short(report["block"]),
                "category": _short(report["category"]),
            }
        else:
            if not options["data"]:
                raise CommandError("--data is required (or --default)")
            rows = read_table(options["data"])
            if options["orgs"]:
                from tsur.triage.engine.orgs import evaluate_orgs_time_split

                report = evaluate_orgs_time_split(
                    rows,
                    text_column=options["text"],
                    category_column=options["category"],
                    territory_column=options["territory"],
                    org_column=options["org"],
                    time_column=options["time_column"] or "created_dt",
                )
                summary = report
            elif options["time_column"]:
                report = ev.evaluate_time_split(
                    rows,
                    options["text"],
                    options["label"],
                    time_column=options["time_column"],
                    context_columns=options["context"],
                    config=_config(options),
                    test_month=options["test_month"] or None,
                )
                summary = {k: report[k] for k in ("protocol", "train_rows", "test_rows", "label", "context_columns")} | _short(report)
            elif options["cv"]:
                report = ev.evaluate_cv(
                    rows, options["text"], options["label"], k=options["cv"], context_columns=options["context"], config=_config(options)
                )
                summary = {"protocol": report["protocol"], "label": report["label"]} | _short(report)
            else:
                raise CommandError("choose --time-column COLUMN, --cv K, --orgs or --default")
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=1))

    # -- organisations -----------------------------------------------------------------------
    def _train_orgs(self, options: dict) -> None:
        from tsur.triage.engine.orgs import OrgSuggester
        from tsur.triage.engine.train import read_table

        if options["from_db"]:
            from tsur.triage.services import routing_history

            history = list(routing_history())
            texts = [text for text, _, _, _ in history]
            categories = [category for _, category, _, _ in history]
            territories = [territory for _, _, territory, _ in history]
            orgs = [org for _, _, _, org in history]
            source = {"database": "routed appeals", "rows": len(texts)}
        else:
            rows = [r for r in read_table(options["data"]) if r.get(options["org"])]
            texts = [r[options["text"]] for r in rows]
            categories = [r.get(options["category"]) for r in rows]
            territories = [r.get(options["territory"]) for r in rows]
            orgs = [r[options["org"]] for r in rows]
            source = {"file": Path(options["data"]).name, "rows": len(rows)}
        if len(set(orgs)) < 2:
            raise CommandError(f"the history names {len(set(orgs))} organisation(s) in {len(orgs)} rows: at least two are needed to learn a choice")
        suggester = OrgSuggester.train(texts, categories, territories, orgs, info={"data": source})
        suggester.save(options["out"])
        summary = {"out": options["out"], "organisations": len(suggester.model.labels), "train_rows": len(texts)}
        self.stdout.write(json.dumps(summary, ensure_ascii=False))

    # -- the default model -------------------------------------------------------------------
    def _build_default(self, options: dict) -> None:
        from tsur.triage.engine.pipeline import DEFAULT_MODEL_DIR
        from tsur.triage.engine.recipe import DefaultRecipe, add_corrections, default_training_set, fit_default, load_taxonomy

        shared = Path(options["shared"]) if options["shared"] else default_shared()
        if not (shared / "kursk" / "train.csv").is_file():
            raise CommandError(f"{shared}: the Kursk data are not there (give --shared)")
        taxonomy_path = Path(options["taxonomy"]) if options["taxonomy"] else Path(settings.BASE_DIR) / "tsur" / "demo" / "data" / "taxonomy.json"
        taxonomy = load_taxonomy(taxonomy_path)
        recipe = DefaultRecipe()
        data = default_training_set(shared, taxonomy, recipe)
        for path in options["corrections"]:
            if not Path(path).is_file():
                raise CommandError(f"{path}: the corrections file does not exist")
            try:
                add_corrections(data, path, taxonomy)
            except (ValueError, UnicodeDecodeError) as exc:
                raise CommandError(f"{path}: not a corrections file ({exc})") from None
        info: dict = {"kind": "sector", "data_root": "../shared/data (see PROVENANCE.md for commits)", "taxonomy": taxonomy_path.name}
        if options["evaluation"]:
            report = json.loads(Path(options["evaluation"]).read_text(encoding="utf-8"))
            info["evaluation"] = {"protocol": report.get("protocol"), "block": _short(report["block"]), "category": _short(report["category"])}
        model = fit_default(data, taxonomy, recipe, info=info)
        out = Path(options["out"]) if options["out"] else DEFAULT_MODEL_DIR
        model.save(out)
        total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
        summary = {"out": str(out), "bytes": total, "sources": data.sources, "features": model.features.n_features}
        self.stdout.write(json.dumps(summary, ensure_ascii=False))


def _short(report: dict) -> dict:
    keys = ("n", "accuracy", "macro_f1", "ece", "mean_confidence")
    return {k: report[k] for k in keys if k in report}
