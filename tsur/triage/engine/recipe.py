"""The default sector/category model: its recipe and the assembly of its training data.

Pure Python (no Django). `default_training_set` reads the shared data (Kursk, the rubricator's topic
names, optionally St Petersburg and VK) into a `LabelledSet`, `add_corrections` adds operators'
corrections, and `fit_default` fits the model as a `DefaultRecipe` says, with the generic fitting
of `tsur.triage.engine.train`. `tsur triage build-default` runs them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tsur.triage.engine import text as textmod
from tsur.triage.engine.features import FeatureParams, FeatureSpace
from tsur.triage.engine.model import TextModel
from tsur.triage.engine.train import TrainConfig, fit_head, read_table

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
    (
        "*",
        "Мусор на проезжей части, тротуаре, благоустроенных спусках к воде, подземных и надземных пешеходных переходах",
        "housing",
        "Неудовлетворительная уборка улиц и тротуаров",
    ),
    ("*", "Мусор в непосредственной близости от здания станции метрополитена", "housing", "Неудовлетворительная уборка улиц и тротуаров"),
    ("*", "Мусор на внутридворовой территории", "housing", "Некачественная уборка дворовой территории многоквартирных домов"),
    ("*", "Мусор на газонах (железобетонные изделия)", "waste", "Несанкционированные свалки твёрдых бытовых отходов"),
    ("*", "Мусор на газонах (крупногабаритные объекты)", "waste", "Несанкционированные свалки твёрдых бытовых отходов"),
    ("*", "Мусор на газонах вдоль проезжей части", "housing", "Неудовлетворительная уборка улиц и тротуаров"),
    ("*", "Мусор на детской площадке", "housing", _PLAYGROUND),
    ("*", "Мусор на спортивных площадках", "housing", _PLAYGROUND),
    (
        "*",
        "Нарушение благоустройства после производства земляных работ",
        "housing",
        "Несвоевременное восстановление нарушенного благоустройства после проведения ремонтных работ",
    ),
    (
        "*",
        "Не оборудована контейнерная площадка",
        "waste",
        "Не соответствующий установленным нормам сбор и вывоз твёрдых бытовых отходов в районах многоквартирных домов",
    ),
    ("*", "Не обустроена территория детской площадки", "housing", _PLAYGROUND),
    ("*", "Не обустроена территория спортивной площадки", "housing", _PLAYGROUND),
    ("*", "Неисправно освещение на фасаде нежилого здания", "housing", "Неработающее наружное освещение"),
    ("*", "Неисправно освещение, опора освещения повреждена", "housing", "Неработающее наружное освещение"),
    (
        "*",
        "Ненадлежащее (неисправное) состояние уличной мебели и оборудования в садах, парках, скверах (в том числе на территориях детских и "
        "спортивных площадок, зон отдыха)",
        "housing",
        "Неудовлетворительное содержание парков и скверов",
    ),
    ("*", "Ненадлежащее состояние дорожных и газонных ограждений", None, None),
    (
        "*",
        "Ненадлежащее состояние малых архитектурных форм, уличной мебели и хозяйственно-бытового оборудования, "
        "необходимого для благоустройства территории",
        "housing",
        "Сломанные малые архитектурные формы в районах многоквартирных домов",
    ),
    ("*", "Ненадлежащее состояние ограждений газонов", "housing", "Неудовлетворительное содержание клумб и газонов"),
    ("*", "Необходима прочистка ливневой канализации", "housing", "Ливневая канализация"),
    ("*", "Неочищенные урны", "housing", "Неудовлетворительная уборка улиц и тротуаров"),
    (
        "*",
        "Несанкционированные надписи / объявления на дорожных ограждениях и остановочных павильонах, не оборудованных рекламной конструкцией",
        "housing",
        "Незаконная наружная реклама",
    ),
    (
        "*",
        "Несанкционированные надписи / объявления на сооружениях (в т.ч. заборах, гаражах, торговых павильонах)",
        "housing",
        "Незаконная наружная реклама",
    ),
    ("*", "Несанкционированные надписи / объявления на стенах дома", "housing", "Незаконная наружная реклама"),
    (
        "*",
        "Несанкционированные надписи / объявления на технических средствах организации дорожного движения (светофоры, дорожные знаки)",
        "housing",
        "Незаконная наружная реклама",
    ),
    ("*", "Несанкционированные надписи /объявления в подземном переходе", "housing", "Незаконная наружная реклама"),
    ("*", "Несанкционированные надписи /объявления на опорах освещения", "housing", "Незаконная наружная реклама"),
    (
        "*",
        "Несанкционированные надписи /объявления на остановочных павильонах, совмещенных с рекламными конструкциями",
        "housing",
        "Незаконная наружная реклама",
    ),
    ("Благоустройство", "Неубранный снег", None, None),  # houses and bridges mixed
    (
        "*",
        "Неубранный снег на автомобильных дорогах и прилегающих к ним тротуарах, спусках к воде, подземных и надземных пешеходных переходах",
        "roads",
        "Очистка от снега и наледи дорог в границах городских округов и сельских поселений",
    ),
    (
        "*",
        "Неубранный снег на пешеходных дорожках в парках, садах, бульварах и скверах",
        "housing",
        "Неудовлетворительное содержание парков и скверов",
    ),
    (
        "*",
        "Неубранный снег, требуется обработка территории пескосоляной смесью",
        "housing",
        "Несвоевременная очистка дворовой территории многоквартирных домов от наледи и снега",
    ),
    (
        "*",
        "Неудовлетворительное содержание временного ограждения строительной площадки, отсутствие строительного забора",
        "housing",
        "Отсутствует (нарушено) ограждение строительного объекта",
    ),
    (
        "*",
        "Неудовлетворительное состояние асфальтового покрытия на придомовой и дворовой территориях",
        "housing",
        "Ямы и выбоины на внутридворовых проездах и тротуарах в районах многоквартирных домов",
    ),
    ("*", "Отсутствие зон отдыха", "housing", None),
    ("*", "Повреждения дорожного покрытия", "roads", f"Нарушение дорожного покрытия (ямы) на {_ROADS_CITY}"),
    ("*", "Повреждения дорожного покрытия проезжей части", "roads", f"Нарушение дорожного покрытия (ямы) на {_ROADS_CITY}"),
    ("*", "Повреждения дорожного покрытия тротуара", "housing", "Ямы и выбоины на тротуарах"),
    ("*", "Повреждения дорожных знаков", "roads", f"Дорожные знаки на {_ROADS_CITY}"),
    ("*", "Повреждения или неисправность светофоров", "roads", f"Светофоры на {_ROADS_CITY}"),
    (
        "*",
        "Повреждения информационных знаков остановочных пунктов наземного городского пассажирского транспорта",
        "roads",
        f"Остановки общественного транспорта на {_ROADS_CITY}",
    ),
    ("*", "Предложение по занижению бордюрного камня на пути следования маломобильных групп населения", None, None),
    ("*", "Предложение по занижению бордюрного камня при пересечении тротуара с проезжей частью", "roads", f"Пешеходные переходы на {_ROADS_CITY}"),
    ("*", "Предложение по организации дополнительных парковочных мест", "roads", f"Парковки на {_ROADS_CITY}"),
    ("*", "Предложение по установке ограждений газонов", "housing", "Неудовлетворительное содержание клумб и газонов"),
    ("*", "Предложение по установке урны у остановочного павильона", "housing", None),
    ("*", "Предложения по установке искусственных неровностей на проездах и въездах", "roads", f"Искусственные неровности на {_ROADS_CITY}"),
    (
        "*",
        "Предложения по установке малых архитектурных форм, уличной мебели и хозяйственно-бытового оборудования, "
        "необходимого для благоустройства территории",
        "housing",
        None,
    ),
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
    (
        "*",
        "Утрата жизнеспособности, декоративной ценности зеленых насаждений, неухоженный вид деревьев и кустарников",
        "housing",
        "Аварийные деревья",
    ),
    ("*", "Утратившие жизнеспособность деревья и кустарники, угроза падения деревьев", "housing", "Аварийные деревья"),
    ("Водоотведение", "*", "housing", "Водоотведение"),
    ("Водоснабжение", "*", "housing", "Некачественное водоснабжение многоквартирного дома"),
    ("Кровля", "*", "housing", "Несвоевременный (некачественный) текущий ремонт многоквартирного дома"),
    ("Нарушение порядка пользования общим имуществом", "*", "housing", None),
    (
        "Нарушение правил пользования общим имуществом",
        "Незаконное проживание иностранных граждан в местах общего пользования многоквартирного дома (подвалы, чердаки)",
        None,
        None,
    ),
    ("Нарушение правил пользования общим имуществом", "*", "housing", None),
    ("Незаконная информационная и (или) рекламная конструкция", "*", "housing", "Незаконная наружная реклама"),
    ("Незаконная реализация товаров с торгового оборудования (прилавок, ящик, с земли)", "*", "other", "Несанкционированная торговля"),
    ("Повреждения или неисправность элементов уличной инфраструктуры", "*", "housing", "Отсутствие люков на коммуникационных колодцах"),
    ("Подвалы", "*", "housing", "Несвоевременный (некачественный) текущий ремонт многоквартирного дома"),
    ("Санитарное состояние", "*", "housing", "Неудовлетворительная уборка и освещение мест общего пользования в многоквартирном доме"),
    (
        "Содержание МКД",
        "Неудовлетворительное санитарное и техническое состояние контейнерной площадки",
        "waste",
        "Не соответствующий установленным нормам сбор и вывоз твёрдых бытовых отходов в районах многоквартирных домов",
    ),
    (
        "Содержание МКД",
        "Сломанный мусорный контейнер",
        "waste",
        "Не соответствующий установленным нормам сбор и вывоз твёрдых бытовых отходов в районах многоквартирных домов",
    ),
    ("Содержание МКД", "Неисправный лифт", "housing", "Неисправный лифт в многоквартирном доме"),
    ("Содержание МКД", "Неисправное освещение в лифте", "housing", "Неисправный лифт в многоквартирном доме"),
    (
        "Содержание МКД",
        "Неисправное освещение в подъезде / на фасаде жилого здания",
        "housing",
        "Неудовлетворительная уборка и освещение мест общего пользования в многоквартирном доме",
    ),
    ("Содержание МКД", "Неудовлетворительное состояние парадной", "housing", "Несвоевременный (некачественный) текущий ремонт многоквартирного дома"),
    (
        "Содержание МКД",
        "Отсутствие или несоблюдение графика уборки подъезда",
        "housing",
        "Неудовлетворительная уборка и освещение мест общего пользования в многоквартирном доме",
    ),
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


# -- the default sector/category model -------------------------------------------------------
@dataclass
class LabelledSet:
    """Rows for the default model: one text per row, its labels per head, weights and provenance."""

    texts: list[str] = field(default_factory=list)
    category: list[str | None] = field(default_factory=list)
    block: list[str | None] = field(default_factory=list)
    category_weight: list[float] = field(default_factory=list)
    block_weight: list[float] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    sources: dict = field(default_factory=dict)

    def add(self, text: str, category: str | None, block: str | None, cw: float, bw: float, source: str) -> None:
        self.texts.append(text)
        self.category.append(category)
        self.block.append(block)
        self.category_weight.append(cw)
        self.block_weight.append(bw)
        self.source.append(source)
        self.groups.append(textmod.normalise(text))

    def subset(self, rows: Sequence[int]) -> LabelledSet:
        out = LabelledSet(sources=self.sources)
        for i in rows:
            out.add(self.texts[i], self.category[i], self.block[i], self.category_weight[i], self.block_weight[i], self.source[i])
        return out


@dataclass
class DefaultRecipe:
    """How the default model is trained (defaults chosen by Kursk cross-validation, see
    docs/triage-evaluation.md)."""

    config: TrainConfig = field(default_factory=lambda: TrainConfig(balance=0.75))
    names_weight: float = 1.0  # the rubricator's topic names as extra examples
    spb_block_weight: float = 0.0  # St Petersburg rows, block head only (measured: no gain on Kursk, see the docs)
    spb_category_weight: float = 0.0  # St Petersburg rows for the category head (0: not used)
    vk_weight: float = 0.0  # VK posts with a sector tag, block head only (measured: no gain)
    block_mix: float = 0.5  # block = mix·block head + (1-mix)·category head summed per block
    aux_vocabulary: bool = False  # True: St Petersburg/VK words join the vocabulary and idf (measured: worse)

    def to_json(self) -> dict:
        data = asdict(self)
        data["config"] = self.config.to_json()
        return data


def load_taxonomy(path: str | os.PathLike) -> list[dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))["categories"]


def default_training_set(shared_data: str | os.PathLike, taxonomy: Sequence[Mapping], recipe: DefaultRecipe) -> LabelledSet:
    """Kursk train (primary) + rubricator topic names + St Petersburg (mapped) + VK (tagged) rows.

    Only files the data README allows are read: kursk/train.csv, kursk/topic_blocks.csv,
    spb/appeals.csv.gz (2020-10 … 2021-03), vk/community_posts.csv.gz."""
    root = Path(shared_data)
    topic_of = {_squash(c["name"]): _squash(c["name"]) for c in taxonomy}  # category labels: the topic names
    data = LabelledSet()
    kursk = read_table(root / "kursk" / "train.csv")
    for row in kursk:
        topic = topic_of.get(_squash(row["Тематика"]))
        data.add(textmod.clean(row["Текст Сообщения"]), topic, row["block"], 1.0, 1.0, "kursk")
    data.sources["kursk/train.csv"] = len(kursk)
    topics = read_table(root / "kursk" / "topic_blocks.csv")
    if recipe.names_weight > 0:
        for row in topics:
            topic = topic_of.get(_squash(row["topic"]))
            data.add(_squash(row["topic"]), topic, row["block"], recipe.names_weight, recipe.names_weight, "topic_names")
        data.sources["kursk/topic_blocks.csv"] = len(topics)
    if recipe.spb_block_weight > 0 or recipe.spb_category_weight > 0:
        spb = sorted(read_table(root / "spb" / "appeals.csv.gz"), key=lambda r: r["created_dt"])
        seen: set[str] = set()
        used = 0
        for row in spb:
            if row["created_dt"] >= "2021-04":  # never: the held-back month is not in this file
                continue
            key = textmod.normalise(row["text"])
            if not key or key in seen:
                continue
            seen.add(key)
            block, mapped = spb_reason_target(row["category"], row["reason"])
            topic = topic_of.get(mapped) if mapped and recipe.spb_category_weight > 0 else None
            if recipe.spb_block_weight <= 0:
                block = None
            if block is None and topic is None:
                continue
            data.add(textmod.clean(row["text"]), topic, block, recipe.spb_category_weight, recipe.spb_block_weight, "spb")
            used += 1
        data.sources["spb/appeals.csv.gz"] = used
    if recipe.vk_weight > 0:
        vk = read_table(root / "vk" / "community_posts.csv.gz")
        used = 0
        for row in vk:
            block = VK_AREA_BLOCKS.get(row.get("life_areas") or "")
            if block:
                data.add(textmod.clean(row["text"]), None, block, 0.0, recipe.vk_weight, "vk")
                used += 1
        data.sources["vk/community_posts.csv.gz"] = used
    return data


CORRECTIONS = "corrections"


def add_corrections(data: LabelledSet, path: str | os.PathLike, taxonomy: Sequence[Mapping], weight: float = 1.0) -> int:
    """Add operators' corrections (the JSONL `tsur triage_corrections` writes: `text`, `category`
    name, `block` key) to a training set. A category outside the taxonomy still teaches its block;
    a row with neither is skipped. Returns the rows added; `data.sources` records them by file."""
    topic_of = {_squash(c["name"]): _squash(c["name"]) for c in taxonomy}
    blocks = {c["block"] for c in taxonomy}
    used = 0
    for row in read_table(path):
        text = textmod.clean(str(row.get("text") or ""))
        topic = topic_of.get(_squash(str(row.get("category") or "")))
        block = row.get("block") if row.get("block") in blocks else None
        if not text or (topic is None and block is None):
            continue
        data.add(text, topic, block, weight if topic else 0.0, weight if block else 0.0, CORRECTIONS)
        used += 1
    data.sources[f"corrections:{Path(path).name}"] = used
    return used


def fit_default(data: LabelledSet, taxonomy: Sequence[Mapping], recipe: DefaultRecipe, *, info: Mapping | None = None) -> TextModel:
    """The default model: shared features, a `category` head (the rubricator's topic names, with
    their taxonomy codes and blocks) and a `block` head."""
    config = recipe.config
    codes = {_squash(c["name"]): c["code"] for c in taxonomy}
    blocks = {_squash(c["name"]): c["block"] for c in taxonomy}
    in_domain = {"kursk", "topic_names", CORRECTIONS}
    vocab_rows = data.texts if recipe.aux_vocabulary else [t for t, s in zip(data.texts, data.source, strict=True) if s in in_domain]
    features = FeatureSpace(FeatureParams.from_json(config.features.to_json())).fit(vocab_rows)
    x = features.transform(data.texts, canonical=True)
    primary = [s in {"kursk", CORRECTIONS} for s in data.source]  # in-domain rows: calibration
    cat_labels = [c if w > 0 else None for c, w in zip(data.category, data.category_weight, strict=True)]
    block_labels = [b if w > 0 else None for b, w in zip(data.block, data.block_weight, strict=True)]
    category = fit_head(
        x,
        cat_labels,
        config,
        sample_weight=data.category_weight,
        primary=primary,
        groups=data.groups,
        label_blocks=blocks,
        info={"label_codes": codes},
    )
    block = fit_head(x, block_labels, config, sample_weight=data.block_weight, primary=primary, groups=data.groups)
    info = dict(info or {})
    info.setdefault("trained_at", dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    info["block_mix"] = recipe.block_mix
    info["recipe"] = recipe.to_json()
    info["sources"] = dict(data.sources)
    return TextModel(features, {"category": category, "block": block}, primary="category", info=info)
