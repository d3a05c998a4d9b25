"""Text preparation: HTML clean-up, Cyrillic share, normalisation for near-duplicate grouping."""

from __future__ import annotations

from tsur.triage.engine import text


def test_it_strips_tags_and_entities():
    raw = "<p>Яма&nbsp;на&nbsp;дороге</p><br><strong>ул.&laquo;Ленина&raquo;</strong>"
    assert text.clean(raw) == "Яма на дороге ул.«Ленина»"


def test_it_unescapes_double_escaped_entities_and_drops_scripts_and_comments():
    raw = "Нет&amp;nbsp;света<script>alert(1)</script><!-- x --> <style>p{}</style>в подъезде"
    assert text.clean(raw) == "Нет света в подъезде"


def test_it_keeps_comparison_signs_that_are_not_tags():
    assert text.clean("температура < 18 градусов, а > 0") == "температура < 18 градусов, а > 0"


def test_it_collapses_whitespace_and_zero_width_characters():
    assert text.clean("  снег\u200b  на\n\n дороге\t") == "снег на дороге"
    assert text.clean("") == ""


def test_it_measures_the_cyrillic_share_of_letters():
    assert text.cyrillic_share("Яма на дороге 5") == 1.0
    assert text.cyrillic_share("The bus is late") == 0.0
    assert text.cyrillic_share("bus автобус") == 0.7
    assert text.cyrillic_share("12345 !!!") == 0.0


def test_it_normalises_for_duplicate_grouping():
    assert text.normalise("<b>Снег</b> на дороге!!!  Ёлки") == text.normalise("снег на дороге елки")


def test_it_tokenises_and_stems_folded_text():
    words = text.tokens(text.fold("Ямы на ДОРОГАХ, ёлки-палки 2024"))
    assert words == ["ямы", "на", "дорогах", "елки", "палки", "2024"]
    assert text.stems(["дорогах", "дороги"]) == ["дорог", "дорог"]


def test_it_states_the_length_limit():
    assert text.MAX_TEXT_CHARS == 20000
