"""Training of `TextModel`s: reading tables, fitting the linear layer, calibrating, pruning.

Pure Python (no Django). `train_text_model` is what `tsur triage train` runs; the default sector
block and category models are built by `tsur.triage.engine.default_data` … see `build_default`.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import os
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tsur.triage.engine import text as textmod
from tsur.triage.engine.features import FeatureParams, FeatureSpace
from tsur.triage.engine.model import TextModel, softmax

csv.field_size_limit(10_000_000)


# -- reading data ----------------------------------------------------------------------------
def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def read_table(path: str | os.PathLike) -> list[dict]:
    """Rows of a CSV, CSV.gz, JSONL or JSONL.gz file as dicts (header row for CSV)."""
    path = Path(path)
    stem_suffix = Path(path.stem).suffix if path.suffix == ".gz" else path.suffix
    with _open_text(path) as fh:
        if stem_suffix in {".jsonl", ".ndjson", ".json"}:
            rows = []
            for n, line in enumerate(fh, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from exc
                if not isinstance(obj, dict):
                    raise ValueError(f"{path}:{n}: a JSON object per line expected")
                rows.append(obj)
            return rows
        return list(csv.DictReader(fh))


def iter_column(rows: Sequence[Mapping], column: str) -> Iterator[str]:
    for row in rows:
        value = row.get(column)
        yield "" if value is None else str(value)


# -- configuration ---------------------------------------------------------------------------
@dataclass
class TrainConfig:
    features: FeatureParams = field(default_factory=FeatureParams)
    classifier: str = "svm"  # "svm" (LinearSVC, one-vs-rest) or "logreg" (multinomial)
    C: float = 0.5
    balance: float = 0.5  # 0: no class weighting, 1: fully "balanced" weights
    keep_weights: float = 1.0  # share of the largest |weights| kept after training (pruning)
    calibration_folds: int = 3
    min_class_count: int = 1  # labels rarer than this in the training data are dropped

    def to_json(self) -> dict:
        data = asdict(self)
        data["features"] = self.features.to_json()
        return data


def class_weights(y: np.ndarray, n_classes: int, balance: float) -> np.ndarray:
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    counts[counts == 0] = 1.0
    return (len(y) / (n_classes * counts)) ** balance


def fit_linear(
    x: sp.csr_matrix,
    y: np.ndarray,
    n_classes: int,
    config: TrainConfig,
    sample_weight: np.ndarray | None = None,
    primary: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(W features×classes, bias) of a linear classifier on label indices `y`.

    Class weights follow the label distribution of the `primary` rows (boolean mask; default all),
    so auxiliary data mixed in for vocabulary do not distort the target domain's priors."""
    base = y if primary is None else y[primary]
    weights = class_weights(base, n_classes, config.balance)[y]
    if sample_weight is not None:
        weights = weights * sample_weight
    present = np.unique(y)
    if config.classifier == "logreg":
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(C=config.C, max_iter=300, tol=1e-3)
    else:
        from sklearn.svm import LinearSVC

        clf = LinearSVC(C=config.C, loss="squared_hinge", tol=1e-4, max_iter=3000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(x, y, sample_weight=weights)
    coef = np.asarray(clf.coef_, dtype=np.float32)
    intercept = np.asarray(clf.intercept_, dtype=np.float32)
    if coef.shape[0] == 1:  # binary: one hyperplane → two symmetric columns
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
    w = np.zeros((x.shape[1], n_classes), dtype=np.float32)
    b = np.full(n_classes, -1e3, dtype=np.float32)  # labels absent from this fit never win
    w[:, present] = coef.T
    b[present] = intercept
    return w, b


def prune(w: np.ndarray, keep: float) -> sp.csr_matrix:
    """Sparse copy of `w` keeping the `keep` share of its largest non-zero magnitudes."""
    if keep >= 1.0:
        return sp.csr_matrix(w)
    mags = np.abs(w[w != 0])
    if mags.size == 0:
        return sp.csr_matrix(w)
    threshold = np.quantile(mags, 1.0 - keep)
    return sp.csr_matrix(np.where(np.abs(w) >= threshold, w, 0.0).astype(np.float32))


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """Softmax temperature minimising the negative log-likelihood of out-of-fold scores."""
    rows = np.arange(len(y))

    def nll(t: float) -> float:
        p = softmax(scores.astype(np.float64), t)
        return float(-np.log(np.clip(p[rows, y], 1e-12, None)).mean())

    lo, hi = np.log(0.01), np.log(10.0)
    for _ in range(40):  # golden-section search on log T
        a = hi - (hi - lo) / 1.618
        b = lo + (hi - lo) / 1.618
        if nll(float(np.exp(a))) < nll(float(np.exp(b))):
            hi = b
        else:
            lo = a
    return float(np.exp((lo + hi) / 2))


def folds(y: np.ndarray, groups: Sequence[str] | None, k: int, seed: int = 0) -> list[np.ndarray]:
    """Fold index per row: stratified by label, rows sharing a group key kept in one fold."""
    from sklearn.model_selection import StratifiedGroupKFold

    n = len(y)
    group_ids = np.unique(np.asarray(groups if groups is not None else [str(i) for i in range(n)]), return_inverse=True)[1]
    counts = np.bincount(y)
    k_eff = max(2, min(k, int(counts[counts > 0].max())))
    splitter = StratifiedGroupKFold(n_splits=k_eff, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [test for _train, test in splitter.split(np.zeros(n), y, group_ids)]


def train_text_model(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    contexts: Sequence[Mapping[str, str] | None] | None = None,
    sample_weight: Sequence[float] | None = None,
    config: TrainConfig | None = None,
    groups: Sequence[str] | None = None,
    info: Mapping | None = None,
    calibration_mask: Sequence[bool] | None = None,
) -> TextModel:
    """Fit features, the linear layer and its calibration on cleaned or raw `texts`.

    `calibration_mask` limits which rows the temperature is fitted on (e.g. only the target
    domain when auxiliary data are mixed in); all rows are used for the weights.
    """
    config = config or TrainConfig()
    texts = [textmod.clean(t) for t in texts]
    counts = Counter(labels)
    keep_rows = [i for i, lab in enumerate(labels) if lab and counts[lab] >= config.min_class_count]
    texts = [texts[i] for i in keep_rows]
    labels = [labels[i] for i in keep_rows]
    if contexts is not None:
        contexts = [contexts[i] for i in keep_rows]
    sw = np.asarray(sample_weight, dtype=np.float64)[keep_rows] if sample_weight is not None else None
    grp = [groups[i] for i in keep_rows] if groups is not None else [textmod.normalise(t) for t in texts]
    cal = np.asarray(calibration_mask, dtype=bool)[keep_rows] if calibration_mask is not None else np.ones(len(texts), dtype=bool)
    label_list = sorted(set(labels))
    if len(label_list) < 2:
        raise ValueError("training needs at least two distinct labels")
    index = {lab: i for i, lab in enumerate(label_list)}
    y = np.array([index[lab] for lab in labels], dtype=np.int64)

    params = FeatureParams.from_json(config.features.to_json())
    features = FeatureSpace(params).fit(texts, contexts)
    x = features.transform(texts, contexts, canonical=True)

    temperature = 1.0
    if config.calibration_folds >= 2 and cal.sum() >= 20:
        oof = np.zeros((len(y), len(label_list)), dtype=np.float32)
        covered = np.zeros(len(y), dtype=bool)
        for test in folds(y, grp, config.calibration_folds):
            train_mask = np.ones(len(y), dtype=bool)
            train_mask[test] = False
            w, b = fit_linear(x[train_mask], y[train_mask], len(label_list), config, None if sw is None else sw[train_mask])
            oof[test] = (x[test] @ prune(w, config.keep_weights)).toarray() + b
            covered[test] = True
        use = covered & cal
        temperature = fit_temperature(oof[use], y[use])

    w, b = fit_linear(x, y, len(label_list), config, sw)
    info = dict(info or {})
    info.setdefault("trained_at", dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    info["train_config"] = config.to_json()
    info["train_rows"] = len(y)
    info["label_counts"] = {lab: int(c) for lab, c in sorted(Counter(labels).items())}
    return TextModel(features, label_list, prune(w, config.keep_weights), b, temperature=temperature, info=info)


# -- the default models' data sources --------------------------------------------------------
# St Petersburg «Наш Санкт-Петербург» (category, reason) → (sector block, Kursk rubricator topic).
# The block follows the Kursk platform's rules (see ../shared/data/README.md: sidewalks, yards,
# street lighting, adverts and graffiti are ЖКХ; roadway surface, snow on roads, signs, lights,
# parking, stops and crossings are roads; dumps and container sites are ТКО; street trade is
# "other"). None as block: the reason is ambiguous between blocks, the rows are not used for the
# block model. None as topic: no Kursk topic fits well enough, rows not used for the topic model.
# "*" as category matches the reason under any category.
_ROADS_CITY = "дорогах в границах городских округов и сельских поселений"
_PLAYGROUND = "Неудовлетворительное содержание детской (спортивной) площадки на территории многоквартирных домов"
SPB_REASON_MAP: list[tuple[str, str, str | None, str | None]] = [
    ("*", "Деревья и кустарники имеют неухоженный вид", "housing", "Неудовлетворительное содержание клумб и газонов"),
    ("*", "Конструкции, препятствующие парковке", "roads", f"Парковки на {_ROADS_CITY}"),
    ("*", "Конструкция, препятствующая парковке", "roads", f"Парковки на {_ROADS_CITY}"),
    ("*", "Лужи на проезжей части, тротуаре", None, None),
    ("*", "Лужи на твердом покрытии", "housing", "Ямы и выбоины на внутридворовых проездах и тротуарах в районах многоквартирных домов"),
    ("*", "Мусор на проезжей части, тротуаре, благоустроенных спусках к воде, подземных и надземных пешеходных переходах", "housing",
     "Неудовлетворительная уборка улиц и тротуаров"),
    ("*", "Мусор в непосредственной близости от здания станции метрополитена", "housing", "Неудовлетворительная уборка улиц и тротуаров"),
    ("*", "Мусор на внутридворовой территории", "housing", "Некачественная уборка дворовой территории многоквартирных домов"),
    ("*", "Мусор на газонах (железобетонные изделия)", "waste", "Несанкционированные свалки твёрдых бытовых отходов"),
    ("*", "Мусор на газонах (крупногабаритные объекты)", "waste", "Несанкционированные свалки твёрдых бытовых отходов"),
    ("*", "Мусор на газонах вдоль проезжей части", "housing", "Неудовлетворительная уборка улиц и тротуаров"),
    ("*", "Мусор на детской площадке", "housing", _PLAYGROUND),
    ("*", "Мусор на спортивных площадках", "housing", _PLAYGROUND),
    ("*", "Нарушение благоустройства после производства земляных работ", "housing",
     "Несвоевременное восстановление нарушенного благоустройства после проведения ремонтных работ"),
    ("*", "Не оборудована контейнерная площадка", "waste",
     "Не соответствующий установленным нормам сбор и вывоз твёрдых бытовых отходов в районах многоквартирных домов"),
    ("*", "Не обустроена территория детской площадки", "housing",
     _PLAYGROUND),
    ("*", "Не обустроена территория спортивной площадки", "housing",
     _PLAYGROUND),
    ("*", "Неисправно освещение на фасаде нежилого здания", "housing", "Неработающее наружное освещение"),
    ("*", "Неисправно освещение, опора освещения повреждена", "housing", "Неработающее наружное освещение"),
    ("*", "Ненадлежащее (неисправное) состояние уличной мебели и оборудования в садах, парках, скверах (в том числе на территориях детских и "
     "спортивных площадок, зон отдыха)", "housing", "Неудовлетворительное содержание парков и скверов"),
    ("*", "Ненадлежащее состояние дорожных и газонных ограждений", None, None),
    ("*", "Ненадлежащее состояние малых архитектурных форм, уличной мебели и хозяйственно-бытового оборудования, необходимого для "
     "благоустройства территории", "housing", "Сломанные малые архитектурные формы в районах многоквартирных домов"),
    ("*", "Ненадлежащее состояние ограждений газонов", "housing", "Неудовлетворительное содержание клумб и газонов"),
    ("*", "Необходима прочистка ливневой канализации", "housing", "Ливневая канализация"),
    ("*", "Неочищенные урны", "housing", "Неудовлетворительная уборка улиц и тротуаров"),
    ("*", "Несанкционированные надписи / объявления на дорожных ограждениях и остановочных павильонах, не оборудованных рекламной "
     "конструкцией", "housing", "Незаконная наружная реклама"),
    ("*", "Несанкционированные надписи / объявления на сооружениях (в т.ч. заборах, гаражах, торговых павильонах)", "housing",
     "Незаконная наружная реклама"),
    ("*", "Несанкционированные надписи / объявления на стенах дома", "housing", "Незаконная наружная реклама"),
    ("*", "Несанкционированные надписи / объявления на технических средствах организации дорожного движения (светофоры, дорожные знаки)",
     "housing", "Незаконная наружная реклама"),
    ("*", "Несанкционированные надписи /объявления в подземном переходе", "housing", "Незаконная наружная реклама"),
    ("*", "Несанкционированные надписи /объявления на опорах освещения", "housing", "Незаконная наружная реклама"),
    ("*", "Несанкционированные надписи /объявления на остановочных павильонах, совмещенных с рекламными конструкциями", "housing",
     "Незаконная наружная реклама"),
    ("Благоустройство", "Неубранный снег", None, None),  # houses and bridges mixed
    ("*", "Неубранный снег на автомобильных дорогах и прилегающих к ним тротуарах, спусках к воде, подземных и надземных пешеходных "
     "переходах", "roads", "Очистка от снега и наледи дорог в границах городских округов и сельских поселений"),
    ("*", "Неубранный снег на пешеходных дорожках в парках, садах, бульварах и скверах", "housing",
     "Неудовлетворительное содержание парков и скверов"),
    ("*", "Неубранный снег, требуется обработка территории пескосоляной смесью", "housing",
     "Несвоевременная очистка дворовой территории многоквартирных домов от наледи и снега"),
    ("*", "Неудовлетворительное содержание временного ограждения строительной площадки, отсутствие строительного забора", "housing",
     "Отсутствует (нарушено) ограждение строительного объекта"),
    ("*", "Неудовлетворительное состояние асфальтового покрытия на придомовой и дворовой территориях", "housing",
     "Ямы и выбоины на внутридворовых проездах и тротуарах в районах многоквартирных домов"),
    ("*", "Отсутствие зон отдыха", "housing", None),
    ("*", "Повреждения дорожного покрытия", "roads", f"Нарушение дорожного покрытия (ямы) на {_ROADS_CITY}"),
    ("*", "Повреждения дорожного покрытия проезжей части", "roads", f"Нарушение дорожного покрытия (ямы) на {_ROADS_CITY}"),
    ("*", "Повреждения дорожного покрытия тротуара", "housing", "Ямы и выбоины на тротуарах"),
    ("*", "Повреждения дорожных знаков", "roads", f"Дорожные знаки на {_ROADS_CITY}"),
    ("*", "Повреждения или неисправность светофоров", "roads", f"Светофоры на {_ROADS_CITY}"),
    ("*", "Повреждения информационных знаков остановочных пунктов наземного городского пассажирского транспорта", "roads",
     f"Остановки общественного транспорта на {_ROADS_CITY}"),
    ("*", "Предложение по занижению бордюрного камня на пути следования маломобильных групп населения", None, None),
    ("*", "Предложение по занижению бордюрного камня при пересечении тротуара с проезжей частью", "roads", f"Пешеходные переходы на {_ROADS_CITY}"),
    ("*", "Предложение по организации дополнительных парковочных мест", "roads", f"Парковки на {_ROADS_CITY}"),
    ("*", "Предложение по установке ограждений газонов", "housing", "Неудовлетворительное содержание клумб и газонов"),
    ("*", "Предложение по установке урны у остановочного павильона", "housing", None),
    ("*", "Предложения по установке искусственных неровностей на проездах и въездах", "roads", f"Искусственные неровности на {_ROADS_CITY}"),
    ("*", "Предложения по установке малых архитектурных форм, уличной мебели и хозяйственно-бытового оборудования, необходимого для "
     "благоустройства территории", "housing", None),
    ("*", "Провисающие, оборванные провода на зданиях", None, None),  # mostly telecom cables, sometimes power
    ("*", "Провисающие, оборванные провода на опорах освещения", None, None),
    ("*", "Разукомплектованное транспортное средство", None, None),
    ("*", "Скопление мусора", "housing", None),
    ("*", "Скопление мусора в садах, парках, скверах", "housing", "Неудовлетворительное содержание парков и скверов"),
    ("*", "Скопление мусора на территориях кладбищ", None, None),
    ("*", "Угроза падения дерева", "housing", "Аварийные деревья"),
    ("*", "Угроза падения дерева или его части", "housing", "Аварийные деревья"),
    ("*", "Угроза падения дерева на проезжую часть, тротуар", "housing", "Аварийные деревья"),
    ("*", "Упавшее дерево", "housing", "Аварийные деревья"),
    ("*", "Утрата жизнеспособности, декоративной ценности зеленых насаждений, неухоженный вид деревьев и кустарников", "housing",
     "Аварийные деревья"),
    ("*", "Утратившие жизнеспособность деревья и кустарники, угроза падения деревьев", "housing", "Аварийные деревья"),
    ("Водоотведение", "*", "housing", "Водоотведение"),
    ("Водоснабжение", "*", "housing", "Некачественное водоснабжение многоквартирного дома"),
    ("Кровля", "*", "housing", "Несвоевременный (некачественный) текущий ремонт многоквартирного дома"),
    ("Нарушение порядка пользования общим имуществом", "*", "housing", None),
    ("Нарушение правил пользования общим имуществом", "Незаконное проживание иностранных граждан в местах общего пользования "
     "многоквартирного дома (подвалы, чердаки)", None, None),
    ("Нарушение правил пользования общим имуществом", "*", "housing", None),
    ("Незаконная информационная и (или) рекламная конструкция", "*", "housing", "Незаконная наружная реклама"),
    ("Незаконная реализация товаров с торгового оборудования (прилавок, ящик, с земли)", "*", "other", "Несанкционированная торговля"),
    ("Повреждения или неисправность элементов уличной инфраструктуры", "*", "housing", "Отсутствие люков на коммуникационных колодцах"),
    ("Подвалы", "*", "housing", "Несвоевременный (некачественный) текущий ремонт многоквартирного дома"),
    ("Санитарное состояние", "*", "housing", "Неудовлетворительная уборка и освещение мест общего пользования в многоквартирном доме"),
    ("Содержание МКД", "Неудовлетворительное санитарное и техническое состояние контейнерной площадки", "waste",
     "Не соответствующий установленным нормам сбор и вывоз твёрдых бытовых отходов в районах многоквартирных домов"),
    ("Содержание МКД", "Сломанный мусорный контейнер", "waste",
     "Не соответствующий установленным нормам сбор и вывоз твёрдых бытовых отходов в районах многоквартирных домов"),
    ("Содержание МКД", "Неисправный лифт", "housing", "Неисправный лифт в многоквартирном доме"),
    ("Содержание МКД", "Неисправное освещение в лифте", "housing", "Неисправный лифт в многоквартирном доме"),
    ("Содержание МКД", "Неисправное освещение в подъезде / на фасаде жилого здания", "housing",
     "Неудовлетворительная уборка и освещение мест общего пользования в многоквартирном доме"),
    ("Содержание МКД", "Неудовлетворительное состояние парадной", "housing",
     "Несвоевременный (некачественный) текущий ремонт многоквартирного дома"),
    ("Содержание МКД", "Отсутствие или несоблюдение графика уборки подъезда", "housing",
     "Неудовлетворительная уборка и освещение мест общего пользования в многоквартирном доме"),
    ("Содержание МКД", "*", "housing", None),
    ("Состояние рекламных или информационных конструкций", "*", "housing", "Незаконная наружная реклама"),
    ("Фасад", "*", "housing", "Неудовлетворительное содержание фасадов зданий и сооружений, общественных мест"),
    ("Центральное отопление", "*", "housing", "Нарушение теплоснабжения многоквартирного дома"),
]

# VK community posts: topic tags of the ITMO "life values" study (not complaint labels). Only the
# tags that name one of our sectors unambiguously, and only posts with a single tag, are used —
# weakly, with a small weight — to give the rare sectors (health, education, transport) more words.
VK_AREA_BLOCKS = {"Health": "health", "Education": "education", "Public_transportation": "transport"}


def _squash(value: str) -> str:
    return " ".join(value.split())


def spb_reason_target(category: str, reason: str) -> tuple[str | None, str | None]:
    """(block, Kursk topic) for a St Petersburg (category, reason) pair, or (None, None)."""
    category, reason = _squash(category), _squash(reason)
    for cat, rea, block, topic in SPB_REASON_MAP:
        if (cat == "*" or cat == category) and (rea == "*" or _squash(rea) == reason):
            return block, (_squash(topic) if topic else None)
    return None, None
