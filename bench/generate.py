"""Generate realistic, linked fiscal source files at a scale factor, in the layouts our mappings read.

    .venv/bin/python bench/generate.py OUT_DIR [--rows 100000] [--big-bank 10000] [--seed 7]

Why: the benchmarks must go through the real mappings (not hand-written
N-Triples), with data shaped like the real thing and linked the way real data
is, so that a 3-hop path or a bank page meets the fan-out it would meet in
production. The output is deterministic: the same arguments give
byte-identical files.

It writes, each with a ``.source.yaml`` sidecar marking it generated and
illustrative (so `ftm-graph ingest OUT_DIR/*.csv OUT_DIR/*.jsonl` picks the mapping):

- ``gen_dependencias.csv`` (zacatecas_agencies): the state catalogue of agencies (the sample's 65);
- ``gen_presupuesto_pef.csv`` (shcp_budget_pef): budget lines held by those agencies, unique budget keys;
- ``gen_deuda_obligaciones.csv`` (rpu_obligations): loans, lenders written as the aliases of
  ``mappings/lookups/banks.csv``; ``--big-bank N`` adds N loans of one lender (Banobras);
- ``gen_deuda_ldf_formato2.csv`` (conac_ldf_2): quarterly balances of each loan that add up;
- ``gen_fideicomisos.csv`` (state_pension_trust): trusts settled by agencies, quarterly reports;
- ``gen_contrataciones.ocds.jsonl`` (ocds): release packages (JSON Lines) of compiled releases: buyer
  and payer an agency, suppliers with RFCs, award, contract, payments (transactions), a budget
  breakdown line per process pointing at a partida;
- ``gen_pagos.csv`` (payments): payments by agencies to the OCDS suppliers (name + RFC), citing the
  contract they pay, the budget line they are charged to and, for some, the loan that funds them.

``--rows`` is the total of source rows (CSV rows plus OCDS releases), split in
fixed shares; the big bank's loans come on top. The releases are tagged
``compiled`` so that a file of any size streams (releases to merge are held
until the end of the file).
"""

import argparse
import csv
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from ftm_graph.resources import data_dir

#: Shares of --rows per file (the catalogue's 65 rows come first).
SHARES = {"budget": 0.30, "debt": 0.10, "trusts": 0.06, "ocds": 0.14, "payments": 0.40}
YEARS = list(range(2019, 2025))
QUARTERS = [("01/01", "31/03"), ("01/04", "30/06"), ("01/07", "30/09"), ("01/10", "31/12")]
#: Lenders as files write them: several aliases per bank of mappings/lookups/banks.csv.
LENDERS = ["Banorte", "BANORTE", "Banco Mercantil del Norte, S.A.", "BBVA Bancomer", "BBVA México", "Santander",
           "Banco Santander México", "Citibanamex", "Banamex", "HSBC", "Banco Interacciones", "Banobras",
           "NAFIN", "Nacional Financiera, S.N.C."]
BIG_BANK = "Banco Nacional de Obras y Servicios Públicos, S.N.C."  #: alias of bank/banobras
PARTIDAS = {21101: "Materiales, útiles y equipos menores de oficina", 22104: "Productos alimenticios para el personal",
            26103: "Combustibles para vehículos terrestres", 29101: "Herramientas menores",
            31101: "Servicio de energía eléctrica", 33104: "Otras asesorías para la operación de programas",
            33901: "Subcontratación de servicios con terceros", 35101: "Mantenimiento de inmuebles",
            62903: "Servicios de supervisión de obras", 15401: "Prestaciones contractuales"}
FUNCTIONS = ["1.3.4", "2.2.1", "2.5.1", "2.3.1", "3.5.1", "1.5.2", "2.4.1"]
RAMOS = {28: "Participaciones a Entidades Federativas y Municipios",
         33: "Aportaciones Federales para Entidades Federativas y Municipios",
         23: "Provisiones Salariales y Económicas", 12: "Salud", 11: "Educación Pública"}
#: Trust types as written; each slugs to a notation of code:trust-type.
TRUST_TYPES = ["Infraestructura", "Pensiones", "Inversión", "Subsidios y apoyos", "Prestaciones laborales"]
TRUST_MEASURES = ["income", "expenses", "available-balance"]
METHODS = ["open", "selective", "direct"]
COMPANY_WORDS = ["Constructora", "Servicios", "Comercializadora", "Grupo", "Distribuidora", "Consultores",
                 "Suministros", "Ingeniería", "Tecnologías", "Transportes"]
PLACES = ["del Centro", "de Zacatecas", "Minera", "del Norte", "Fresnillo", "Jerez", "Guadalupe", "Sombrerete",
          "Pinos", "Río Grande", "Loreto", "Villanueva"]
SOURCE_URL = "https://example.org/ftm-graph/generado/{name}"
OCID_PREFIX = "ocds-gen0zac"
PUBLISHED = "2025-01-15T00:00:00-06:00"


@dataclass
class World:
    """What one file's rows refer to, so that the other files can link to it."""

    agencies: list[tuple[str, str, str]] = field(default_factory=list)  #: (id, name, acronym)
    budget_keys: list[tuple[int, str, str]] = field(default_factory=list)  #: (year, key, agency id)
    loans: list[str] = field(default_factory=list)
    lenders: list[str] = field(default_factory=list)  #: as written in the loans file (typed there as banks)
    suppliers: list[tuple[str, str]] = field(default_factory=list)  #: (RFC, name)
    contracts: list[tuple[str, str, str, int]] = field(default_factory=list)  #: (ocid, contract id, agency, supplier)


def plan(rows: int) -> dict[str, int]:
    """How many rows each file gets for a total of `rows` (at least a few of each)."""
    rest = max(rows - 65, 0)
    counts = {k: int(rest * share) for k, share in SHARES.items()}
    counts["loans"] = max(4, counts.pop("debt") // (1 + 4 * 2))  # one RPU row and 8 quarters (2 years) per loan
    counts["trusts"] = max(2, counts["trusts"] // (4 * len(TRUST_MEASURES)))  # one year of quarterly reports
    counts["ocds"] = max(4, counts["ocds"])
    counts["budget"] = max(10, counts["budget"])
    counts["payments"] = max(10, counts["payments"])
    counts["suppliers"] = max(20, counts["ocds"] // 4)
    return counts


def money(rnd: random.Random, low: int, high: int) -> int:
    return rnd.randint(low, high)


def fmt_money(value: float) -> str:
    """Amounts as Mexican files write them: thousands separators, two decimals, sometimes a $ sign."""
    return f"{value:,.2f}"


def rfc_for(n: int) -> str:
    """A valid, unique RFC of a company (3 letters, yymmdd, 3 characters) for supplier number n."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    a, b, c = letters[n % 26], letters[(n // 26) % 26], letters[(n // 676) % 26]
    yy, mm, dd = 90 + n % 10, 1 + (n // 10) % 12, 1 + (n // 120) % 28
    tail = f"{(n // 3360) % 1000:03d}"
    return f"{a}{b}{c}{yy % 100:02d}{mm:02d}{dd:02d}{tail}"


def write_csv(path: Path, header: list[str], rows) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(row)
            count += 1
    return count


def write_sidecar(path: Path, mapping: str, title_es: str, title_en: str, rows: int, seed: int) -> None:
    """The `.source.yaml` beside each file: generated, illustrative, and how to make it again."""
    note_es = (f"Datos GENERADOS para medir el rendimiento (bench/generate.py, semilla {seed}, {rows} filas): "
               "no son cifras reales de ninguna fuente.")
    note_en = (f"GENERATED data for benchmarks (bench/generate.py, seed {seed}, {rows} rows): "
               "not real figures from any source.")
    text = (f"mapping: {mapping}\n"
            f"title: {{es: {json.dumps(title_es, ensure_ascii=False)}, en: {json.dumps(title_en)}}}\n"
            f"publisher: \"ftm-graph benchmark generator (bench/generate.py)\"\n"
            f"source_url: \"\"\n"
            f"retrieved: \"2025-01-15\"\n"
            f"licence: \"CC0-1.0 (generated data)\"\n"
            f"illustrative: true\n"
            f"note: {{es: {json.dumps(note_es, ensure_ascii=False)}, en: {json.dumps(note_en)}}}\n")
    path.with_name(path.name + ".source.yaml").write_text(text, encoding="utf-8")


def agencies_file(out: Path, world: World, seed: int) -> int:
    with (data_dir("sample") / "zacatecas_dependencias.csv").open(encoding="utf-8", newline="") as f:
        world.agencies = [(r["id_dependencia"], r["nombre"], r["acronimo"]) for r in csv.DictReader(f)]
    path = out / "gen_dependencias.csv"
    n = write_csv(path, ["id_dependencia", "nombre", "acronimo"], world.agencies)
    write_sidecar(path, "zacatecas_agencies", "Dependencias (copia del catálogo de la muestra)",
                  "Agencies (copy of the sample's catalogue)", n, seed)
    return n


def budget_file(out: Path, world: World, count: int, seed: int) -> int:
    rnd = random.Random(f"{seed}-budget")
    header = ["ciclo", "id_ramo", "desc_ramo", "id_ur", "desc_ur", "gpo_funcional", "id_funcion", "id_subfuncion",
              "id_ai", "id_modalidad", "id_pp", "desc_pp", "id_capitulo", "id_concepto", "id_partida_generica",
              "id_partida_especifica", "desc_partida_especifica", "id_tipogasto", "id_ff", "id_entidad_federativa",
              "entidad_federativa", "id_clave_cartera", "monto_aprobado", "monto_modificado", "monto_pagado"]

    def rows():
        for n in range(count):
            year = YEARS[n % len(YEARS)]
            ramo = rnd.choice(list(RAMOS))
            agency_id, agency, _ = world.agencies[rnd.randrange(len(world.agencies))]
            ur = 100 + int(agency_id)
            gpo, fun, sub = rnd.choice(FUNCTIONS).split(".")
            ai, mod, pp = rnd.randint(1, 30), rnd.choice("EKSU"), rnd.randint(1, 60)
            partida = rnd.choice(list(PARTIDAS))
            tg, ff = rnd.choice([1, 2, 3]), rnd.choice([1, 2, 3])
            aprobado = money(rnd, 10_000, 90_000_000)
            modificado = aprobado + money(rnd, -5_000, 5_000_000)
            pagado = "" if rnd.random() < 0.1 else fmt_money(modificado * rnd.random())
            key = f"{ramo}-{ur}-{gpo}-{fun}-{sub}-{ai}-{mod.lower()}{pp}-{partida}-{tg}-{ff}-32-{n}"
            world.budget_keys.append((year, key, agency_id))
            yield [year, ramo, RAMOS[ramo], ur, agency, gpo, fun, sub, ai, mod, pp, f"Programa estatal {pp}",
                   partida // 10000 * 1000, partida // 1000 * 100, partida // 100, partida, PARTIDAS[partida],
                   tg, ff, 32, "Zacatecas", n, fmt_money(aprobado), f"{modificado:.2f}", pagado]

    path = out / "gen_presupuesto_pef.csv"
    n = write_csv(path, header, rows())
    write_sidecar(path, "shcp_budget_pef", "Presupuesto generado (formato PEF de la SHCP)",
                  "Generated budget (SHCP PEF layout)", n, seed)
    return n


def debt_files(out: Path, world: World, loans: int, big_bank: int, seed: int) -> int:
    """Loans (RPU layout) and their quarterly balances (LDF Formato 2); the big bank's loans have one year."""
    rnd = random.Random(f"{seed}-debt")
    rpu_header = ["clave_obligacion", "ente_obligado", "tipo_obligacion", "acreedor", "fecha_contratacion",
                  "plazo_meses", "tasa_referencia", "sobretasa", "tasa_efectiva", "fuente_pago", "destino",
                  "fuente_url", "fuente_titulo", "fuente_medio", "fuente_fecha"]
    ldf_header = ["ente", "periodo_inicio", "periodo_fin", "clave_obligacion", "acreedor", "saldo_inicial",
                  "disposiciones", "amortizaciones", "revaluaciones_reclasificaciones", "saldo_final",
                  "pago_intereses", "pago_comisiones"]
    plans = [(f"ZAC-GEN-{n:06d}", LENDERS[n % len(LENDERS)], 2) for n in range(loans)]
    world.lenders = sorted({lender for _, lender, _ in plans})
    plans += [(f"ZAC-BIG-{n:06d}", BIG_BANK if n % 2 else "BANOBRAS", 1) for n in range(big_bank)]
    ldf = out / "gen_deuda_ldf_formato2.csv"
    ldf_file = ldf.open("w", encoding="utf-8", newline="")
    ldf_rows = csv.writer(ldf_file, lineterminator="\n")  # written as the loans are, so memory stays flat
    ldf_rows.writerow(ldf_header)
    written = [0]

    def rpu_rows():
        for key, lender, years in plans:
            world.loans.append(key)
            first = rnd.choice(YEARS[: len(YEARS) - years + 1])
            signed = f"{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/{first - 1}"
            original = money(rnd, 50, 3_000) * 1_000_000
            yield [key, "Gobierno del Estado de Zacatecas", rnd.choice(["Crédito simple", "Crédito cuenta corriente"]),
                   lender, signed, rnd.choice([120, 180, 240, 300]), "TIIE 28 días", f"{rnd.uniform(0.3, 2.5):.2f}",
                   f"{rnd.uniform(6, 12):.2f}%", "Participaciones federales (FGP)",
                   rnd.choice(["Refinanciamiento", "Inversión pública productiva"]),
                   SOURCE_URL.format(name="rpu"), "Registro generado de obligaciones", "bench/generate.py",
                   "2025-01-15"]
            balance = original
            for y in range(first, first + years):
                for q, (start, end) in enumerate(QUARTERS):
                    drawn = original if (y == first and q == 0) else 0
                    opening = 0 if drawn else balance
                    repaid = 0 if drawn else round(balance * rnd.uniform(0.005, 0.03))
                    adjust = rnd.choice([0, 0, 0, round(balance * 0.001)])
                    closing = opening + drawn - repaid + adjust
                    written[0] += 1
                    ldf_rows.writerow(["Gobierno del Estado de Zacatecas", f"{start}/{y}", f"{end}/{y}", key, lender,
                                     fmt_money(opening), fmt_money(drawn), fmt_money(repaid), fmt_money(adjust),
                                     fmt_money(closing), fmt_money(round(closing * 0.02)),
                                     fmt_money(rnd.randint(0, 9999))])
                    balance = closing

    path = out / "gen_deuda_obligaciones.csv"
    with ldf_file:
        n = write_csv(path, rpu_header, rpu_rows())
    m = written[0]
    write_sidecar(path, "rpu_obligations", "Obligaciones de deuda generadas (formato tipo RPU)",
                  "Generated debt obligations (RPU-like layout)", n, seed)
    write_sidecar(ldf, "conac_ldf_2", "Saldos trimestrales generados (LDF, Formato 2)",
                  "Generated quarterly balances (LDF Format 2)", m, seed)
    return n + m


def trusts_file(out: Path, world: World, trusts: int, seed: int) -> int:
    rnd = random.Random(f"{seed}-trusts")
    header = ["sujeto", "id_dependencia", "clave_fideicomiso", "nombre_fideicomiso", "tipo_fideicomiso", "fiduciario",
              "finalidad_es", "medida", "importe", "ejercicio", "periodo_inicio", "periodo_fin", "fuente_url",
              "fuente_titulo", "fuente_medio", "fuente_fecha"]

    def rows():
        for n in range(trusts):
            agency_id, agency, _ = world.agencies[rnd.randrange(len(world.agencies))]
            kind = rnd.choice(TRUST_TYPES)
            name = f"Fideicomiso {kind.lower()} {n} de {agency}"
            year = rnd.choice(YEARS)
            trustee = rnd.choice(world.lenders)  # a trust's trustee is a bank known from the loans file
            for start, end in QUARTERS:
                for measure in TRUST_MEASURES:
                    yield ["fideicomiso", agency_id, f"zac-gen-fid-{n:05d}", name, kind, trustee,
                           f"Administrar recursos de {agency}", measure, fmt_money(money(rnd, 1_000, 400_000_000)),
                           year, f"{start}/{year}", f"{end}/{year}", SOURCE_URL.format(name="fideicomisos"),
                           "Informe trimestral generado", "bench/generate.py", "2025-01-15"]

    path = out / "gen_fideicomisos.csv"
    n = write_csv(path, header, rows())
    write_sidecar(path, "state_pension_trust", "Fideicomisos estatales generados e informes trimestrales",
                  "Generated state trusts and quarterly reports", n, seed)
    return n


def company_name(rnd: random.Random, n: int) -> str:
    return f"{rnd.choice(COMPANY_WORDS)} {rnd.choice(PLACES)} {n}, S.A. de C.V."


def ocds_file(out: Path, world: World, releases: int, suppliers: int, seed: int) -> int:
    """JSON Lines, one release package of up to 50 compiled releases per line."""
    rnd = random.Random(f"{seed}-ocds")
    world.suppliers = [(rfc_for(n), company_name(rnd, n)) for n in range(suppliers)]
    path = out / "gen_contrataciones.ocds.jsonl"
    batch = []
    with path.open("w", encoding="utf-8") as f:
        for n in range(releases):
            batch.append(_release(rnd, world, n))
            if len(batch) == 50 or n == releases - 1:
                package = {"uri": SOURCE_URL.format(name=f"ocds/{n // 50}"), "publishedDate": PUBLISHED,
                           "publisher": {"name": "Generador de pruebas de ftm-graph"}, "version": "1.1",
                           "releases": batch}
                f.write(json.dumps(package, ensure_ascii=False, separators=(",", ":")) + "\n")
                batch = []
    write_sidecar(path, "ocds", "Contrataciones generadas (OCDS, paquetes de entregas)",
                  "Generated contracting (OCDS release packages)", releases, seed)
    return releases


def _release(rnd: random.Random, world: World, n: int) -> dict:
    ocid = f"{OCID_PREFIX}-{n:07d}"
    agency_id, agency, _ = world.agencies[rnd.randrange(len(world.agencies))]
    s = rnd.randrange(len(world.suppliers))
    rfc, supplier = world.suppliers[s]
    year = rnd.choice(YEARS)
    month = rnd.randint(1, 9)
    value = money(rnd, 50_000, 80_000_000)
    buyer_id, supplier_id = f"ZAC-{agency_id}", f"MX-RFC-{rfc}"
    partida = rnd.choice(list(PARTIDAS))
    contract_id = f"{ocid}-c1"
    world.contracts.append((ocid, contract_id, agency_id, s))
    paid = [round(value * share) for share in (0.3, 0.7)][: rnd.choice([1, 2])]
    transactions = [{"id": f"{ocid}-t{k + 1}", "date": f"{year}-{month + 2 + k:02d}-15T00:00:00-06:00",
                     "value": {"amount": amount, "currency": "MXN"},
                     "payer": {"id": buyer_id, "name": agency}, "payee": {"id": supplier_id, "name": supplier}}
                    for k, amount in enumerate(paid)]
    return {
        "ocid": ocid, "id": f"{ocid}-compiled", "date": f"{year}-{month:02d}-01T00:00:00-06:00", "tag": ["compiled"],
        "initiationType": "tender",
        "parties": [
            {"id": buyer_id, "name": agency, "identifier": {"scheme": "ZAC-DEP", "id": agency_id},
             "roles": ["buyer", "procuringEntity", "payer"]},
            {"id": supplier_id, "name": supplier, "identifier": {"scheme": "MX-RFC", "id": rfc},
             "roles": ["supplier", "payee"]},
        ],
        "buyer": {"id": buyer_id, "name": agency},
        "planning": {"budget": {
            "amount": {"amount": value, "currency": "MXN"}, "project": f"Proyecto {n} de {agency}",
            "projectID": f"zac-gen-{n:07d}",
            "budgetBreakdown": [{"id": "1", "description": PARTIDAS[partida],
                                 "period": {"startDate": f"{year}-01-01T00:00:00-06:00"},
                                 "budgetLines": [{"id": "1", "components": [
                                     {"name": "partida", "code": str(partida), "description": PARTIDAS[partida]},
                                     {"name": "fundingSource", "code": str(rnd.choice([1, 2, 3]))}],
                                     "measures": [{"id": "approved", "value": {"amount": value, "currency": "MXN"}},
                                                  {"id": "paid",
                                                   "value": {"amount": sum(paid), "currency": "MXN"}}]}]}],
        }},
        "tender": {"id": f"{ocid}-tender", "title": f"{PARTIDAS[partida]} para {agency}",
                   "procurementMethod": rnd.choice(METHODS), "status": "complete",
                   "procuringEntity": {"id": buyer_id, "name": agency},
                   "tenderPeriod": {"startDate": f"{year}-{month:02d}-01T00:00:00-06:00",
                                    "endDate": f"{year}-{month:02d}-20T00:00:00-06:00"},
                   "value": {"amount": value, "currency": "MXN"}},
        "awards": [{"id": f"{ocid}-a1", "title": f"Fallo {n}", "status": "active",
                    "date": f"{year}-{month + 1:02d}-01T00:00:00-06:00", "value": {"amount": value, "currency": "MXN"},
                    "suppliers": [{"id": supplier_id, "name": supplier}]}],
        "contracts": [{"id": contract_id, "awardID": f"{ocid}-a1", "title": f"Contrato {n}: {PARTIDAS[partida]}",
                       "status": "active", "dateSigned": f"{year}-{month + 1:02d}-10T00:00:00-06:00",
                       "period": {"startDate": f"{year}-{month + 1:02d}-10T00:00:00-06:00",
                                  "endDate": f"{year}-12-31T00:00:00-06:00"},
                       "value": {"amount": value, "currency": "MXN"},
                       "implementation": {"transactions": transactions}}],
    }


def payments_file(out: Path, world: World, count: int, seed: int) -> int:
    """Payments by agencies to the OCDS suppliers; every payment cites a contract, most a budget line, some a loan."""
    rnd = random.Random(f"{seed}-payments")
    header = ["id_pago", "fecha_pago", "importe", "moneda", "id_pagador", "beneficiario", "rfc_beneficiario",
              "concepto", "ocid", "id_contrato", "ejercicio", "clave_presupuestal", "clave_obligacion"]

    def rows():
        for n in range(count):
            ocid, contract_id, agency_id, s = world.contracts[rnd.randrange(len(world.contracts))]
            rfc, supplier = world.suppliers[s]
            year, key, _ = world.budget_keys[rnd.randrange(len(world.budget_keys))]
            charged = rnd.random() < 0.8
            # every tenth payment is funded by a loan: loans of the first ones get several (a path to follow)
            loan = world.loans[(n // 10) % len(world.loans)] if n % 10 == 0 else ""
            yield [f"P{n:07d}", f"{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/{year}",
                   fmt_money(money(rnd, 1_000, 5_000_000)), rnd.choice(["MXN", "Pesos mexicanos"]) if n % 3 else "MXN",
                   agency_id, supplier, rfc, f"Pago del contrato {contract_id}", ocid, contract_id,
                   year if charged else "", key if charged else "", loan]

    path = out / "gen_pagos.csv"
    n = write_csv(path, header, rows())
    write_sidecar(path, "payments", "Pagos generados", "Generated payments", n, seed)
    return n


def generate(out: Path, rows: int, *, big_bank: int = 0, seed: int = 7) -> dict:
    """Write the files for `rows` source rows (plus `big_bank` loans of one lender) into `out`; their row counts."""
    out.mkdir(parents=True, exist_ok=True)
    counts = plan(rows)
    world = World()
    written = {"gen_dependencias.csv": agencies_file(out, world, seed)}
    written["gen_presupuesto_pef.csv"] = budget_file(out, world, counts["budget"], seed)
    written["debt"] = debt_files(out, world, counts["loans"], big_bank, seed)
    written["gen_fideicomisos.csv"] = trusts_file(out, world, counts["trusts"], seed)
    written["gen_contrataciones.ocds.jsonl"] = ocds_file(out, world, counts["ocds"], counts["suppliers"], seed)
    written["gen_pagos.csv"] = payments_file(out, world, counts["payments"], seed)
    return written


def source_files(folder: Path) -> list[Path]:
    """The generated source files of a folder (those with a sidecar), in a stable order."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.with_name(p.name + ".source.yaml").is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the files into")
    parser.add_argument("--rows", type=float, default=1e5, help="total source rows (e.g. 1e4 to 1e7)")
    parser.add_argument("--big-bank", type=int, default=0, help="extra loans of one lender (Banobras)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    written = generate(args.out, int(args.rows), big_bank=args.big_bank, seed=args.seed)
    print(json.dumps({"rows": sum(written.values()), "files": written}))


if __name__ == "__main__":
    main()
