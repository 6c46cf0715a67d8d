"""Cleaning functions: each reads dirty values and refuses what it cannot read."""

from pathlib import Path

import pytest

from ftm_graph import clean
from ftm_graph.clean import BadValue, make_cleaner

LOOKUPS = Path(__file__).parent.parent / "mappings" / "lookups"

#: (cleaner spec, raw value, expected lexical form or None)
GOOD = [
    ("text", "  Secretaría\xa0de   Finanzas ", "Secretaría de Finanzas"),
    ("text", "línea uno\nlínea\tdos", "línea uno línea dos"),
    ("text", "   ", None),
    ("text", "", None),
    ("code", " 0032 ", "0032"),
    ("code", "LO-919009986-E9-2018", "LO-919009986-E9-2018"),
    ("slug", "Secretaría de Finanzas (SEFIN)", "secretaria-de-finanzas-sefin"),
    ("slug", "Año Ñandú & Cía.", "ano-nandu-cia"),
    ("slug", "--", None),
    ("amount", "$1,234.56", "1234.56"),
    ("amount", "1 234.5", "1234.5"),
    ("amount", "1\xa0234.5", "1234.5"),
    ("amount", "(1,234.00)", "-1234"),
    ("amount", "-1234.50", "-1234.5"),
    ("amount", "$ -12", "-12"),
    ("amount", "MXN 12.0", "12"),
    ("amount", "2,984,007,763", "2984007763"),
    ("amount", "21141.00", "21141"),
    ("amount", "0.00", "0"),
    ("amount", ".5", "0.5"),
    ("amount", "-", None),
    ("amount", "—", None),
    ("amount", "", None),
    ({"amount": {"decimal": "comma"}}, "1.234,56", "1234.56"),
    ({"amount": {"decimal": "comma"}}, "$ 7.341.701.084,00", "7341701084"),
    ("decimal", "1,234.5", "1234.5"),
    ("decimal", "8.250", "8.25"),
    ("integer", "1,234", "1234"),
    ("integer", "200.0", "200"),
    ("integer", "", None),
    ("percent", "8.25%", "8.25"),
    ("percent", "8.52 %", "8.52"),
    ("percent", "1.7", "1.7"),
    ("date", "2011-08-19", "2011-08-19"),
    ("date", "2018-04-18T00:00:00-05:00", "2018-04-18"),
    ("date", "2020-04-09T13:40:30Z", "2020-04-09"),
    ("date", "2019-06-04 13:31:28", "2019-06-04"),
    ({"date": {"format": "dd/mm/yyyy"}}, "19/08/2011", "2011-08-19"),
    ({"date": {"format": "dd/mm/yyyy"}}, "5/1/2012", "2012-01-05"),
    ({"date": {"format": "dd/mm/yyyy"}}, "2012-01-05", "2012-01-05"),
    ({"date": {"format": "mm/dd/yyyy"}}, "01/05/2012", "2012-01-05"),
    ({"date": {"format": "dd-mm-yyyy"}}, "31-12-2013", "2013-12-31"),
    ({"date": {"format": "excel"}}, "40774", "2011-08-19"),
    ({"date": {"excel": True}}, "43210.0", "2018-04-20"),
    ("date", "", None),
    ("year", "2018", "2018"),
    ("year", "2018.0", "2018"),
    ("year", "2017-03-01", "2017"),
    ("boolean", "Sí", "true"),
    ("boolean", "x", "true"),
    ("boolean", "NO", "false"),
    ("rfc", " dcu801124b41 ", "DCU801124B41"),
    ("rfc", "GEN-620601-DTA", "GEN620601DTA"),
    ("rfc", "C&C021030KX2", "C&C021030KX2"),
    ("rfc", "ROMJ800101AB1", "ROMJ800101AB1"),
    ({"lookup": {"table": "banks", "field": "key"}}, "BANOBRAS", "banobras"),
    ({"lookup": {"table": "banks", "field": "key"}}, "Banco Nacional de Obras y Servicios Publicos", "banobras"),
    ({"lookup": {"table": "banks", "field": "key"}}, "banco mercantil del norte", "banorte"),
    ({"lookup": {"table": "banks", "field": "key"}}, "BBVA Bancomer", "bbva"),
    ({"lookup": {"table": "banks", "field": "key"}}, "Bancomer", "bbva"),
    ({"lookup": {"table": "banks", "field": "key"}}, "Nacional Financiera", "nafin"),
    ({"lookup": {"table": "banks", "field": "key"}}, "Citibanamex", "citibanamex"),
    ({"lookup": {"table": "banks", "field": "name"}}, "BBVA México", "BBVA"),
    ({"lookup": {"table": "banks", "field": "bank_type"}}, "Banobras", "development"),
    ({"lookup": {"table": "agency_types", "field": "class", "default": "fis:StateAgency"}}, "60", "fis:DecentralisedBody"),
    ({"lookup": {"table": "agency_types", "field": "class", "default": "fis:StateAgency"}}, "3", "fis:StateAgency"),
]

#: (cleaner spec, raw value, words the complaint must contain)
BAD = [
    ("amount", "12,3x", "amount"),
    ("amount", "1,23", "amount"),
    ("amount", "abc", "amount"),
    ({"amount": {"decimal": "comma"}}, "1,234.56", "1.234,56"),
    ("decimal", "$5", "decimal"),
    ("integer", "12.5", "whole number"),
    ("percent", "ocho", "percentage"),
    ("date", "19/08/2011", "declare"),
    ("date", "2011-02-30", "calendar"),
    ("date", "ayer", "yyyy-mm-dd"),
    ({"date": {"format": "dd/mm/yyyy"}}, "31/02/2011", "calendar"),
    ({"date": {"format": "dd/mm/yyyy"}}, "2011/08/19", "dd/mm/yyyy"),
    ("date", "40774", "yyyy-mm-dd"),
    ("year", "18", "year"),
    ("boolean", "quizá", "sí/no"),
    ("rfc", "SIN DATO-81F5DD8B", "RFC"),
    ("rfc", "DCU8011B41", "RFC"),
    ({"lookup": {"table": "banks", "field": "key"}}, "Banco Imaginario", "lookups/banks.csv"),
]


@pytest.mark.parametrize(("spec", "raw", "expected"), GOOD)
def test_cleaner_reads(spec, raw, expected):
    assert make_cleaner(spec, LOOKUPS)(raw) == expected


@pytest.mark.parametrize(("spec", "raw", "words"), BAD)
def test_cleaner_refuses(spec, raw, words):
    with pytest.raises(BadValue) as info:
        make_cleaner(spec, LOOKUPS)(raw)
    assert words in str(info.value)


def _reclean(spec) -> bool:
    """Lookups map aliases to keys, and decimal commas read '1234.5' differently: not idempotent."""
    return isinstance(spec, str) or ("lookup" not in spec and "decimal" not in str(spec))


@pytest.mark.parametrize(("spec", "raw", "expected"), [g for g in GOOD if g[2] is not None and _reclean(g[0])])
def test_cleaners_are_idempotent(spec, raw, expected):
    assert make_cleaner(spec, LOOKUPS)(expected) == expected


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("amout", "unknown cleaner 'amout'"),
        ({"date": {"fromat": "dd/mm/yyyy"}}, "unknown option 'fromat'"),
        ({"date": {"format": "dd/mm/yy"}}, "option 'format'"),
        ({"lookup": {"table": "nowhere", "field": "key"}}, "lookup table 'nowhere' not found"),
        ({"lookup": {"table": "banks", "field": "colour"}}, "no column 'colour'"),
        ({"lookup": {"table": "banks"}}, "needs the options"),
        (["text", "code"], "a cleaner is a name"),
    ],
)
def test_bad_cleaner_specs(spec, words):
    with pytest.raises(ValueError) as info:
        make_cleaner(spec, LOOKUPS)
    assert words in str(info.value)


def test_datatypes_follow_the_cleaner():
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert make_cleaner("amount", LOOKUPS).datatype == xsd + "decimal"
    assert make_cleaner("date", LOOKUPS).datatype == xsd + "date"
    assert make_cleaner("year", LOOKUPS).datatype == xsd + "gYear"
    assert make_cleaner("integer", LOOKUPS).datatype == xsd + "integer"
    assert make_cleaner("text", LOOKUPS).datatype is None


def test_codes_are_kept_in_iris_and_text_is_slugged():
    assert make_cleaner("code", LOOKUPS).keeps
    assert make_cleaner("rfc", LOOKUPS).keeps
    assert not make_cleaner("text", LOOKUPS).keeps


def test_lookup_table_refuses_conflicting_aliases(tmp_path):
    (tmp_path / "t.csv").write_text("# comment\nalias,key\nBanorte,banorte\nBANORTE,bbva\n", encoding="utf-8")
    with pytest.raises(ValueError, match="given twice"):
        clean.read_lookup(tmp_path / "t.csv")


def test_lookup_table_needs_alias_first(tmp_path):
    (tmp_path / "t.csv").write_text("key,alias\nbanorte,Banorte\n", encoding="utf-8")
    with pytest.raises(ValueError, match="first column"):
        clean.read_lookup(tmp_path / "t.csv")


def test_every_bank_named_in_the_brief_has_its_key():
    table = clean.read_lookup(LOOKUPS / "banks.csv")
    expected = {
        "Banobras": "banobras", "Banorte": "banorte", "BBVA": "bbva", "Santander": "santander",
        "NAFIN": "nafin", "Banamex": "citibanamex", "HSBC": "hsbc", "Interacciones": "interacciones",
        "Multiva": "multiva", "Inbursa": "inbursa",
    }
    for alias, key in expected.items():
        assert table[clean.lookup_key(alias)]["key"] == key


# ---- added for issue #3 -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "want"), [
    ("1000.", "1000"),               # SHCP's trust JSON writes whole numbers with a trailing point
    ("‐381659.46", "-381659.46"),    # U+2010 HYPHEN used as a minus sign in the same file
    ("‑5", "-5"),                    # U+2011 NON-BREAKING HYPHEN
    ("6039254.519999999", "6039254.519999999"),
])
def test_amounts_as_published(raw, want):
    assert clean.amount(raw) == want


def test_a_point_alone_is_not_an_amount():
    with pytest.raises(clean.BadValue):
        clean.amount(".")


@pytest.mark.parametrize(("raw", "want"), [
    ("2017", ("2017", "gYear")), ("2017-03", ("2017-03", "gYearMonth")), ("2017-03-05", ("2017-03-05", "date")),
    ("", None), (None, None),
])
def test_partial_dates(raw, want):
    assert clean.partial_date(raw) == want


@pytest.mark.parametrize("raw", ["2017-13", "marzo 2017", "17"])
def test_partial_dates_refuse_what_they_cannot_read(raw):
    with pytest.raises(clean.BadValue, match="a month as yyyy-mm or a year as yyyy"):
        clean.partial_date(raw)


def test_the_zero_date_of_database_exports_means_no_date():
    assert clean.parse_date("0000-00-00") is None


@pytest.mark.parametrize(("a", "b"), [
    ("BIOTECH DEL NORTE S A P I DE CV", "Biotech del Norte, S.A.P.I. de C.V."),
    ("HOLIDAY DE MEXICO SA DE CV", "Holiday de México, S.A. de C.V."),
    ("Constructora X, S. de R.L. de C.V.", "CONSTRUCTORA X S DE RL DE CV"),
    ("Fundación Y, A.C.", "FUNDACION Y AC"),
])
def test_company_names_match_whatever_their_legal_form_spelling(a, b):
    assert clean.company(a) == clean.company(b)


def test_company_keeps_a_name_that_is_only_a_legal_form_and_words_in_the_middle():
    assert clean.company("Grupo S.A. Comercial SA") == "grupo-s-a-comercial"
    assert clean.company("SA") == "sa"
