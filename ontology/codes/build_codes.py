"""Build the classifier code lists cog, functional, branch and expenditure-type.

A one-off script, not part of the runtime package: its output (the .ttl files
beside it) is the source of truth and is reviewed by hand. Run it again only
to rebuild the lists from newer source files:

    python ontology/codes/build_codes.py PEF_CSV CUCOP_CSV

PEF_CSV   the federal budget (PEF) open data in SHCP's layout, e.g. the 2018
          sample (columns id_capitulo, id_concepto, id_partida_generica, ...).
CUCOP_CSV the federal procurement item catalogue (columns cucop_code,
          description): its 4- and 5-digit codes are object-of-expenditure codes.

Chapters, concepts, purposes and functions get hand-written labels (CONAC's
classifiers) below; generic and specific items, subfunctions and branches take
their Spanish text from the data and a generated English label.
"""

import csv
import sys
from pathlib import Path

CODE = "https://w3id.org/ftm-graph/code/"

#: CONAC Clasificador por Objeto del Gasto: chapter and concept -> (es, en).
COG_HEADINGS = {
    "1000": ("Servicios personales", "Personal services"),
    "1100": ("Remuneraciones al personal de carácter permanente", "Pay of permanent staff"),
    "1200": ("Remuneraciones al personal de carácter transitorio", "Pay of temporary staff"),
    "1300": ("Remuneraciones adicionales y especiales", "Additional and special pay"),
    "1400": ("Seguridad social", "Social security"),
    "1500": ("Otras prestaciones sociales y económicas", "Other social and economic benefits"),
    "1600": ("Previsiones", "Provisions for staff costs"),
    "1700": ("Pago de estímulos a servidores públicos", "Incentive payments to public servants"),
    "2000": ("Materiales y suministros", "Materials and supplies"),
    "2100": ("Materiales de administración, emisión de documentos y artículos oficiales", "Office materials, document issuing and official articles"),
    "2200": ("Alimentos y utensilios", "Food and utensils"),
    "2300": ("Materias primas y materiales de producción y comercialización", "Raw materials and production and trading materials"),
    "2400": ("Materiales y artículos de construcción y de reparación", "Construction and repair materials"),
    "2500": ("Productos químicos, farmacéuticos y de laboratorio", "Chemical, pharmaceutical and laboratory products"),
    "2600": ("Combustibles, lubricantes y aditivos", "Fuels, lubricants and additives"),
    "2700": ("Vestuario, blancos, prendas de protección y artículos deportivos", "Clothing, linen, protective wear and sports articles"),
    "2800": ("Materiales y suministros para seguridad", "Security materials and supplies"),
    "2900": ("Herramientas, refacciones y accesorios menores", "Tools, spare parts and minor accessories"),
    "3000": ("Servicios generales", "General services"),
    "3100": ("Servicios básicos", "Basic services (utilities)"),
    "3200": ("Servicios de arrendamiento", "Leasing services"),
    "3300": ("Servicios profesionales, científicos, técnicos y otros servicios", "Professional, scientific, technical and other services"),
    "3400": ("Servicios financieros, bancarios y comerciales", "Financial, banking and commercial services"),
    "3500": ("Servicios de instalación, reparación, mantenimiento y conservación", "Installation, repair and maintenance services"),
    "3600": ("Servicios de comunicación social y publicidad", "Public communication and advertising"),
    "3700": ("Servicios de traslado y viáticos", "Travel and subsistence"),
    "3800": ("Servicios oficiales", "Official events and services"),
    "3900": ("Otros servicios generales", "Other general services"),
    "4000": ("Transferencias, asignaciones, subsidios y otras ayudas", "Transfers, allocations, subsidies and other aid"),
    "4100": ("Transferencias internas y asignaciones al sector público", "Internal transfers and allocations to the public sector"),
    "4200": ("Transferencias al resto del sector público", "Transfers to the rest of the public sector"),
    "4300": ("Subsidios y subvenciones", "Subsidies and grants"),
    "4400": ("Ayudas sociales", "Social aid"),
    "4500": ("Pensiones y jubilaciones", "Pensions and retirement"),
    "4600": ("Transferencias a fideicomisos, mandatos y otros análogos", "Transfers to trusts, mandates and similar"),
    "4700": ("Transferencias a la seguridad social", "Transfers to social security"),
    "4800": ("Donativos", "Donations"),
    "4900": ("Transferencias al exterior", "Transfers abroad"),
    "5000": ("Bienes muebles, inmuebles e intangibles", "Movable, immovable and intangible assets"),
    "5100": ("Mobiliario y equipo de administración", "Office furniture and equipment"),
    "5200": ("Mobiliario y equipo educacional y recreativo", "Educational and recreational furniture and equipment"),
    "5300": ("Equipo e instrumental médico y de laboratorio", "Medical and laboratory equipment"),
    "5400": ("Vehículos y equipo de transporte", "Vehicles and transport equipment"),
    "5500": ("Equipo de defensa y seguridad", "Defence and security equipment"),
    "5600": ("Maquinaria, otros equipos y herramientas", "Machinery, other equipment and tools"),
    "5700": ("Activos biológicos", "Biological assets"),
    "5800": ("Bienes inmuebles", "Real estate"),
    "5900": ("Activos intangibles", "Intangible assets"),
    "6000": ("Inversión pública", "Public investment"),
    "6100": ("Obra pública en bienes de dominio público", "Public works on public-domain property"),
    "6200": ("Obra pública en bienes propios", "Public works on own property"),
    "6300": ("Proyectos productivos y acciones de fomento", "Productive projects and promotion"),
    "7000": ("Inversiones financieras y otras provisiones", "Financial investments and other provisions"),
    "7100": ("Inversiones para el fomento de actividades productivas", "Investments to promote productive activities"),
    "7200": ("Acciones y participaciones de capital", "Shares and equity holdings"),
    "7300": ("Compra de títulos y valores", "Purchase of securities"),
    "7400": ("Concesión de préstamos", "Lending"),
    "7500": ("Inversiones en fideicomisos, mandatos y otros análogos", "Investments in trusts, mandates and similar"),
    "7600": ("Otras inversiones financieras", "Other financial investments"),
    "7900": ("Provisiones para contingencias y otras erogaciones especiales", "Provisions for contingencies and other special spending"),
    "8000": ("Participaciones y aportaciones", "Revenue sharing and earmarked transfers"),
    "8100": ("Participaciones", "Revenue sharing (participaciones)"),
    "8300": ("Aportaciones", "Earmarked transfers (aportaciones)"),
    "8500": ("Convenios", "Transfers under agreements (convenios)"),
    "9000": ("Deuda pública", "Public debt"),
    "9100": ("Amortización de la deuda pública", "Repayment of public debt principal"),
    "9200": ("Intereses de la deuda pública", "Interest on public debt"),
    "9300": ("Comisiones de la deuda pública", "Public debt fees"),
    "9400": ("Gastos de la deuda pública", "Public debt expenses"),
    "9500": ("Costo por coberturas", "Cost of hedges"),
    "9600": ("Apoyos financieros", "Financial support"),
    "9900": ("Adeudos de ejercicios fiscales anteriores (ADEFAS)", "Debts from previous fiscal years (ADEFAS)"),
}

#: CONAC Clasificación Funcional del Gasto: purpose and function -> (es, en).
FUNCTIONAL_HEADINGS = {
    "1": ("Gobierno", "Government"),
    "1.1": ("Legislación", "Legislation"),
    "1.2": ("Justicia", "Justice"),
    "1.3": ("Coordinación de la política de gobierno", "Coordination of government policy"),
    "1.4": ("Relaciones exteriores", "Foreign affairs"),
    "1.5": ("Asuntos financieros y hacendarios", "Financial and fiscal affairs"),
    "1.6": ("Seguridad nacional", "National security"),
    "1.7": ("Asuntos de orden público y de seguridad interior", "Public order and internal security"),
    "1.8": ("Otros servicios generales", "Other general services"),
    "2": ("Desarrollo social", "Social development"),
    "2.1": ("Protección ambiental", "Environmental protection"),
    "2.2": ("Vivienda y servicios a la comunidad", "Housing and community services"),
    "2.3": ("Salud", "Health"),
    "2.4": ("Recreación, cultura y otras manifestaciones sociales", "Recreation, culture and other social expressions"),
    "2.5": ("Educación", "Education"),
    "2.6": ("Protección social", "Social protection"),
    "2.7": ("Otros asuntos sociales", "Other social affairs"),
    "3": ("Desarrollo económico", "Economic development"),
    "3.1": ("Asuntos económicos, comerciales y laborales en general", "General economic, commercial and labour affairs"),
    "3.2": ("Agropecuaria, silvicultura, pesca y caza", "Agriculture, forestry, fishing and hunting"),
    "3.3": ("Combustibles y energía", "Fuel and energy"),
    "3.4": ("Minería, manufacturas y construcción", "Mining, manufacturing and construction"),
    "3.5": ("Transporte", "Transport"),
    "3.6": ("Comunicaciones", "Communications"),
    "3.7": ("Turismo", "Tourism"),
    "3.8": ("Ciencia, tecnología e innovación", "Science, technology and innovation"),
    "3.9": ("Otras industrias y otros asuntos económicos", "Other industries and economic affairs"),
    "4": ("Otras no clasificadas en funciones anteriores", "Other, not classified above"),
    "4.1": ("Transacciones de la deuda pública / costo financiero de la deuda", "Public debt transactions / financial cost of debt"),
    "4.2": ("Transferencias, participaciones y aportaciones entre diferentes niveles y órdenes de gobierno", "Transfers, revenue sharing and contributions between levels of government"),
    "4.3": ("Saneamiento del sistema financiero", "Financial system rescue"),
    "4.4": ("Adeudos de ejercicios fiscales anteriores", "Debts from previous fiscal years"),
}

#: English labels of the federal budget branches most relevant to state finance.
BRANCH_EN = {
    "19": "Contributions to social security",
    "23": "Salary and economic provisions",
    "24": "Public debt",
    "25": "Provisions and contributions for basic, teacher-training, technical and adult education",
    "28": "Revenue sharing with states and municipalities (participaciones)",
    "30": "Debts from previous fiscal years (ADEFAS)",
    "33": "Earmarked federal transfers to states and municipalities (aportaciones)",
}
#: Branches absent from the sample that the state's debt depends on.
BRANCH_EXTRA = {
    "24": "Deuda Pública",
    "28": "Participaciones a Entidades Federativas y Municipios",
    "30": "Adeudos de Ejercicios Fiscales Anteriores",
}

#: SHCP tipo de gasto (id_tipogasto) -> English.
EXPENDITURE_TYPE_EN = {
    "1": "Current spending",
    "2": "Capital spending other than public works",
    "3": "Public works spending",
    "4": "Pensions and retirement",
    "5": "Capital spending: public works by contract (key 5)",
    "7": "Current spending on indirect costs of subsidy programmes",
}


def literal(text: str, lang: str) -> str:
    """A Turtle language-tagged literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}'


def concept(scheme: str, notation: str, es: str, en: str, broader: str | None) -> str:
    """The Turtle block of one concept."""
    iri = f"<{CODE}{scheme}/{notation}>"
    lines = [
        f"{iri} a skos:Concept ;",
        f'    skos:notation "{notation}" ;',
        f"    skos:prefLabel {literal(es, 'es')} , {literal(en, 'en')} ;",
    ]
    if broader:
        lines.append(f"    skos:broader <{CODE}{scheme}/{broader}> ;")
    else:
        lines.append(f"    skos:topConceptOf <{CODE}{scheme}> ;")
    lines.append(f"    skos:inScheme <{CODE}{scheme}> .")
    return "\n".join(lines) + "\n"


def write_scheme(folder: Path, scheme: str, header: str, es: str, en: str, items: list[tuple]) -> None:
    """Write one scheme file; `items` are (notation, es, en, broader-or-None) in order."""
    tops = [n for n, _, _, b in items if not b]
    parts = [
        header.strip() + "\n\n",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n\n",
        f"<{CODE}{scheme}> a skos:ConceptScheme ;\n",
        f"    skos:prefLabel {literal(es, 'es')} , {literal(en, 'en')} ;\n",
        "    skos:hasTopConcept " + " ,\n        ".join(f"<{CODE}{scheme}/{n}>" for n in tops) + " .\n",
    ]
    parts += ["\n" + concept(scheme, *item) for item in items]
    (folder / f"{scheme}.ttl").write_text("".join(parts), encoding="utf-8")


def cog_items(pef: list[dict], cucop: list[dict]) -> list[tuple]:
    """Chapters, concepts, generic items (3 digits) and specific items (5 digits)."""
    generic, specific = {}, {}
    for row in pef:
        generic.setdefault(row["id_partida_generica"], row["desc_partida_generica"])
        specific.setdefault(row["id_partida_especifica"], row["desc_partida_especifica"])
    for row in cucop:
        code, text = row["cucop_code"], row["description"]
        # CUCOP writes generic item 211 as "2110"; chapters/concepts end in "00".
        if len(code) == 4 and not code.endswith("00"):
            generic.setdefault(code[:3], text)
        elif len(code) == 5:
            specific.setdefault(code, text)
    items = []
    for code, (es, en) in COG_HEADINGS.items():
        items.append((code, es, en, None if code.endswith("000") else code[0] + "000"))
    for code in sorted(generic):
        items.append((code, generic[code], f"Object-of-expenditure generic item {code}", code[:2] + "00"))
    for code in sorted(specific):
        parent = code[:3] if code[:3] in generic else code[:2] + "00"
        items.append((code, specific[code], f"Object-of-expenditure item {code}", parent))
    return items


def functional_items(pef: list[dict]) -> list[tuple]:
    """Purposes, functions and subfunctions, notations like "2", "2.5", "2.5.1"."""
    items = [(n, es, en, n.rpartition(".")[0] or None) for n, (es, en) in FUNCTIONAL_HEADINGS.items()]
    subs = {}
    for row in pef:
        notation = f"{row['gpo_funcional']}.{row['id_funcion']}.{row['id_subfuncion']}"
        subs.setdefault(notation, row["desc_subfuncion"])
    for n in sorted(subs, key=lambda s: [int(p) for p in s.split(".")]):
        items.append((n, subs[n], f"Subfunction {n}", n.rpartition(".")[0]))
    return items


def main(pef_csv: str, cucop_csv: str) -> None:
    folder = Path(__file__).resolve().parent
    with open(pef_csv, encoding="utf-8") as f:
        pef = list(csv.DictReader(f))
    with open(cucop_csv, encoding="utf-8") as f:
        cucop = list(csv.DictReader(f))

    write_scheme(folder, "cog", """
# Object-of-expenditure classifier (Clasificador por Objeto del Gasto, CONAC):
# chapter (1000) > concept (1400) > generic item (144, three digits as in SHCP
# data; the federal item catalogue CUCOP writes it "1440") > specific item
# (14406). Chapters and concepts carry CONAC's Spanish names and hand-written
# English labels. Generic and specific items are those found in the 2018
# federal budget sample and the CUCOP catalogue, with the Spanish text of the
# source as given (CUCOP drops most accents) and a generated English label
# "Object-of-expenditure (generic) item NNNNN", since no official translation
# exists. Generated by build_codes.py; do not edit by hand, rerun it.
""", "Clasificador por objeto del gasto", "Object-of-expenditure classifier", cog_items(pef, cucop))

    write_scheme(folder, "functional", """
# Functional classification of spending (Clasificación Funcional del Gasto,
# CONAC): purpose (finalidad, "2") > function ("2.5") > subfunction ("2.5.1").
# Purposes and functions have hand-written labels; subfunctions are those in
# the 2018 federal budget sample, in Spanish, with a generated English label.
# Generated by build_codes.py; do not edit by hand, rerun it.
""", "Clasificación funcional del gasto", "Functional classification of spending", functional_items(pef))

    branches = {r["id_ramo"]: r["desc_ramo"] for r in pef} | BRANCH_EXTRA
    write_scheme(folder, "branch", """
# Branches (ramos) of the federal expenditure budget, from the 2018 federal
# budget sample plus branches 24, 28 and 30 on which state finance depends.
# English labels are hand-written for the branches relevant to state finance
# and generated ("Federal budget branch N") for the rest.
# Generated by build_codes.py; do not edit by hand, rerun it.
""", "Ramos del presupuesto federal", "Federal budget branches", [
        (n, branches[n], BRANCH_EN.get(n, f"Federal budget branch {n}"), None)
        for n in sorted(branches, key=int)
    ])

    types = {r["id_tipogasto"]: r["desc_tipogasto"] for r in pef}
    write_scheme(folder, "expenditure-type", """
# Expenditure types (tipo de gasto) of the federal budget open data (SHCP
# column id_tipogasto), as found in the 2018 sample.
# Generated by build_codes.py; do not edit by hand, rerun it.
""", "Tipos de gasto", "Expenditure types", [
        (n, types[n], EXPENDITURE_TYPE_EN[n], None) for n in sorted(types, key=int)
    ])


if __name__ == "__main__":
    main(*sys.argv[1:3])
