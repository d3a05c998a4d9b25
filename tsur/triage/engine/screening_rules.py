"""Hand-written cue rules for complaint screening (weak supervision, not the shipped classifier).

The rules give every text two scores: how much it reads like a resident reporting a problem that
someone could fix (broken, dirty, leaking, unsafe, "how long will this go on"), and how much it reads
like the usual community noise (ads, vacancies, events, news reposts, lost pets, thanks, neighbours'
questions). They are used at training time to keep complaint-like social posts out of the negatives
and to pseudo-label the clearest ones as positives; their precision was checked by hand on samples
(see docs/triage-evaluation-screening.md). The classifier itself is in ``screening.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_F = re.IGNORECASE | re.UNICODE

# (name, pattern, weight). Patterns run on lower-cased text with «ё» folded to «е».
COMPLAINT_CUES: tuple[tuple[str, str, float], ...] = (
    ("broken", r"не работа(ет|ют|л[аио]?)\b|сломал|сломан|разбит|поврежд|неисправ", 1.0),
    ("lights_off", r"не гор(ит|ят)|не светит|темно во двор|нет освещени", 1.0),
    ("leak", r"протека|протечк|теч[её]т с|капает с потолк|затопил|заливает|залило|подтоп", 1.0),
    ("no_utility", r"нет (горяч|холодн|вод|свет[ау]?\b|отоплени|электричеств|газа)|без (горяч|вод[ыи]|света|отоплени)|отключил", 1.0),
    ("cold", r"холодн\w* батаре|батаре\w* (холодн|еле)|в квартир\w* холодно", 1.0),
    ("potholes", r"\bям[аыу]\b|ямы|выбоин|провал\w* асфальт|асфальт\w* (разруш|провал)", 1.0),
    ("garbage", r"мусор|свалк|помойк|контейнер\w* (переполн|не вывоз)", 0.8),
    ("not_cleaned", r"не убира|не убран|не убрал|не вывоз|не вывез|не чист|не посыпа|не счища|не подметают|так .подметают", 1.0),
    ("dirt", r"грязь|грязн|антисанитар|вон(ь|яет|ючи)|смрад", 0.8),
    ("winter", r"сосульк|гололед|наледь|снег\w* не|сугроб", 0.8),
    ("pests", r"плесен|крыс[ыа]|тараканы|клоп", 0.8),
    ("parking", r"паркуют\w*|на газон|на тротуар|пешеход\w* (приходится|вынужден)", 0.8),
    ("trees", r"вырубк|вырубают|вырубили|спилил|срубил|спилен", 0.8),
    ("danger", r"аварийн|(?<!без)опасн|угрожа\w* (жизн|обрушен|падени)|обрушен|обвал", 0.8),
    ("outrage", r"безобрази|беспредел|возмутительн|позор|доколе|сколько можно|сколько (еще|это) будет|куда смотр|надоело|издевательств", 1.2),
    ("when_finally", r"когда (уже|наконец|это (все )?законч)|когда закончится|до каких пор", 1.0),
    (
        "duration",
        r"уже (неделю|месяц|год|второй|третий|несколько (дней|недель|месяцев))|(которы|третий"
        r"|второй)\w* (день|неделю|месяц)|до сих пор|так и (не|остал)",
        0.8,
    ),
    ("nobody_acts", r"никто не|никакой реакции|ничего не дела|бездейств|не реагиру|нет реакции", 1.0),
    ("cannot_pass", r"невозможно (пройти|проехать|дышать|жить|спать)|не пройти|не проехать|приходится (идти|ходить|обходить) по", 1.0),
    ("bad_state", r"ужасн\w* (состояни|вид)|в плачевн|разруш", 0.8),
    ("authority", r"управляющ\w* компани|\bук\b|жилкомсервис|\bгжи\b|жилинспекц|администраци\w* района|прокуратур|роспотребнадзор", 0.6),
    ("complained", r"жалоб|жаловал|пожаловать|заявк\w* (в|на)|обращал\w*|писал\w* (в|на) портал|звонил\w* (в|на)", 0.8),
    ("transport", r"(автобус|маршрутк|трамва|троллейбус)\w* (не (ход|приход|останав)|ждали|ждать|опаздыва)|интервал\w* (движени)?", 0.8),
    ("noise_neighbours", r"шум\w* (по ночам|ночью)|не дают спать", 0.8),
    ("first_person", r"\b(я|мы|мне|нам|нас|наш\w*|мой|моя|мою|моего|моей|мои)\b|\bсосед[иея]?\b|\?|!", 0.0),
    ("our_place", r"у нас (во дворе|в доме|в подъезде|в парадной|на улице)|в нашем (доме|дворе|подъезде)|наш\w* (двор|дом|парадн|подъезд)", 0.5),
)

NOISE_CUES: tuple[tuple[str, str, float], ...] = (
    ("price", r"\d\s?(руб|р\.|₽|тыс)|цен[аыу]\b|стоимост|прайс", 1.0),
    ("sale", r"продам|продаю|продается|куплю|сдам|сдаю|сдается|сниму|в наличии|отдам|отдается", 1.2),
    ("job", r"требуетс|ваканси|зарплат|з/п|заработн\w* плат|график работы|оформление по тк|собеседовани", 1.2),
    (
        "promo",
        r"скидк|акци[яи]\b|бесплатн\w* (доставк|консультац|пробн)|доставк|заказ|записывайтесь"
        r"|запись (по|на)|записаться|подписывайтесь|переходите по",
        1.0,
    ),
    ("contact_me", r"в лс\b|в личку|в личные сообщени|пишите|звоните|обращаться по|\[телефон\]|по телефону", 0.6),
    ("event", r"приглаша|состоится|пройдет|пройдут|концерт|выставк|лекци|фестивал|мастер-класс|розыгрыш|конкурс|экскурси|спектакл", 1.0),
    ("lost_found", r"потерял|потеряшк|найден[аы]?\b|нашл[аи]\b|пропал\w* (собак|кошк|кот|пес)|пристро|в добрые руки|ищет дом|хозяин\w* наш", 1.2),
    ("thanks", r"спасибо (огромное|большое|всем)|огромное спасибо|выража\w* (благодарност|признательност)|благодарим|хочу поблагодарить", 1.0),
    (
        "news",
        r"сообща(ет|ют)|пресс-служб|по данным|источник:|как стало известно|по информации"
        r"|рассказал\w* (изданию|корреспондент)|фонтанк|росбалт",
        1.2,
    ),
    ("question", r"подскажите|посоветуйте|порекомендуйте|кто знает|кто-нибудь знает|ищу (мастера|няню|врача)", 0.6),
    ("hashtag_link", r"#\w{3,}|https?://|vk\.cc|vk\.com", 0.6),
    ("greeting_holiday", r"поздравля|с праздником|с новым годом|с днем", 0.8),
    ("explainer", r"рассказываем|что входит|как добиться|кто должен|согласно (закон|постановлени|жк рф|правил)|в соответствии с|напоминаем", 1.0),
    (
        "reported",
        r"жители \w+ (добились|пожаловались|обратились|провели|требуют|выступ)|глава мо\b|депутат"
        r"|губернатор|комитет\w* по|администраци\w* (района )?(сообщ|опубликова|ответ)|суд\w* (вынес"
        r"|обязал|признал)",
        1.0,
    ),
    ("done", r"\b(установили|отремонтировали|заменили|восстановили|привели в порядок|благоустроили)\b", 0.6),
    ("history_photo", r"\b1[89]\d\d\s?(г\.|год)|фото из архива|вид на|закат|рассвет", 0.8),
)

_COMPILED_C = tuple((n, re.compile(p, _F), w) for n, p, w in COMPLAINT_CUES)
_COMPILED_N = tuple((n, re.compile(p, _F), w) for n, p, w in NOISE_CUES)


@dataclass(frozen=True)
class RuleVerdict:
    """Scores of one text under the cue rules and the names of the cues that fired."""

    complaint: float
    noise: float
    cues: tuple[str, ...]

    @property
    def personal(self) -> bool:
        """True when the text speaks in the first person, to neighbours, or asks or exclaims."""
        return "+first_person" in self.cues

    @property
    def label(self) -> str:
        """"complaint" (clear complaint cues, little noise), "noise" (no complaint cue at all, or
        noise clearly dominating) or "unsure"."""
        if self.complaint >= 2.0 and self.noise <= 0.6 and self.personal:
            return "complaint"
        if self.complaint == 0.0 or self.noise >= self.complaint + 1.5:
            return "noise"
        return "unsure"


def _fold(text: str) -> str:
    return text.lower().replace("ё", "е")


def judge(text: str) -> RuleVerdict:
    """Score ``text`` (already cleaned) with the complaint and noise cues."""
    folded = _fold(text)
    complaint = 0.0
    noise = 0.0
    cues: list[str] = []
    for name, rx, weight in _COMPILED_C:
        if rx.search(folded):
            complaint += weight
            cues.append("+" + name)
    for name, rx, weight in _COMPILED_N:
        if rx.search(folded):
            noise += weight
            cues.append("-" + name)
    return RuleVerdict(round(complaint, 2), round(noise, 2), tuple(cues))
