"""Ingest source files: pick a mapping, map every file, then publish all graphs in one transaction.

Each source file becomes its own named graph ``{base}graph/{slug of file name}``,
described in ``{base}graph/meta`` with where it came from (publisher, URL,
retrieval date), its SHA-256, the mapping and its version, when it was
ingested, and how many rows and triples it gave. Re-ingesting a file
replaces its graph. Nothing reaches the store unless every file maps
cleanly.
"""

import hashlib
import shutil
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import yaml

from . import mapping as mapping_mod
from . import publish
from .clean import slug
from .errors import InvalidData
from .ingest import map_file
from .namespaces import DCAT, DCT, FIS, PROV, RDF, VOID, XSD, graph_iri
from .resources import data_dir
from .search import build_search_index
from .store import Store
from .stories import build_stories
from .summaries import build_summaries

SIDECAR_SUFFIX = ".source.yaml"
_IRI_SAFE = ":/?#[]@!$&'()*+,;=%~"


@dataclass
class SourceInfo:
    """What is known about where a file comes from (its sidecar, or CLI options)."""

    mapping: str | None = None
    title: dict[str, str] = field(default_factory=dict)  #: language → title
    publisher: str | None = None
    source_url: str | None = None
    retrieved: str | None = None  #: ISO date the file was obtained
    licence: str | None = None
    illustrative: bool = False
    note: dict[str, str] = field(default_factory=dict)


@dataclass
class IngestReport:
    """What one file gave."""

    file: Path
    graph: str
    mapping: str
    rows: int
    triples: int
    rejected: int = 0  #: rows left out with skip_bad_rows
    rejects: Path | None = None  #: the CSV listing them, with reasons


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> SourceInfo:
    """The `FILE.source.yaml` beside a source file, or an empty SourceInfo when there is none."""
    side = sidecar_path(path)
    if not side.is_file():
        return SourceInfo()
    try:
        raw = yaml.safe_load(side.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise InvalidData(f"{side}: cannot be read as YAML: {e}") from None
    known = set(SourceInfo.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        raise InvalidData(f"{side}: unknown key(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(known))}")
    for key in ("title", "note"):
        if isinstance(raw.get(key), str):
            raw[key] = {"es": raw[key]}
    raw = {k: (str(v) if k in ("retrieved",) and v is not None else v) for k, v in raw.items()}
    return SourceInfo(**raw)


def graph_for(base_uri: str, path: Path) -> str:
    """The named graph of a source file: stable across re-ingests of a file of that name."""
    return graph_iri(base_uri, slug(path.name.removesuffix(SIDECAR_SUFFIX)))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest(
    store: Store,
    files: list[Path],
    *,
    kind: str | None = None,
    mapping_name: str | None = None,
    info: SourceInfo | None = None,
    encoding: str | None = None,
    progress=None,
    skip_bad_rows: bool = False,
    rejects_dir: Path | None = None,
) -> list[IngestReport]:
    """Map `files` and publish their graphs in one store transaction. All or nothing.

    The mapping is, in order: `mapping_name`, the file's sidecar, or the one
    mapping whose layout the file fits (restricted to `kind`). `info`
    overrides the sidecar's provenance fields that it sets. With
    `skip_bad_rows`, rows that do not fit are left out and listed, with their
    reasons, in `{rejects_dir}/{file name}.rejects.csv` (default: beside the file).
    """
    for path in files:
        if not path.is_file():
            raise InvalidData(f"{path}: no such file")
    mappings = mapping_mod.load_mappings()
    base = store.base_uri
    reports = []  # (IngestReport, SourceInfo, sha256, mapped N-Quads file, Mapping)
    with tempfile.TemporaryDirectory(prefix="ftm-graph-") as tmp:
        for number, path in enumerate(files):
            source = _merge(read_sidecar(path), info)
            chosen = _choose_mapping(path, mappings, mapping_name or source.mapping, kind)
            graph = graph_for(base, path)
            out_path = Path(tmp) / f"{number}.nq"
            rejects = Path(tmp) / f"{number}.rejects.csv"
            # errors="replace": a JSON string may hold a lone surrogate (\udcff, RFC 8259 §8.2), which UTF-8
            # cannot encode; it becomes '?' in the literal (IRIs percent-encode it, see terms.iri_segment)
            with open(out_path, "w", encoding="utf-8", errors="replace") as out, _row_bar(path, progress) as bar, \
                    open(rejects, "w", encoding="utf-8", errors="replace", newline="") as rejected:
                result = map_file(path, chosen, base_uri=base, graph_iri=graph, out=out, encoding=encoding,
                                  progress=bar, skip_bad_rows=skip_bad_rows, rejects=rejected)
            report = IngestReport(path, graph, chosen.name, result.rows, result.triples, result.rejected)
            if result.rejected:
                report.rejects = Path(rejects_dir or path.parent) / f"{path.name}.rejects.csv"
                try:
                    report.rejects.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(rejects, report.rejects)
                except OSError as exc:
                    raise InvalidData(f"{path}: cannot write the rejected rows to {report.rejects}: {exc.strerror}; "
                                      f"nothing was loaded") from None
            reports.append((report, source, sha256(path), out_path, chosen))
            if progress:
                progress(report)
        with store.transaction() as tx:
            for report, source, digest, out_path, chosen in reports:
                tx.replace_graph(report.graph, out_path)
                # The graph's own size: a mapping may state a triple twice (e.g. two rows naming one bank).
                loaded = getattr(tx, "loaded", {}).get(report.graph)  # counted by the load: no second scan
                report.triples = loaded[1] if loaded else int(next(iter(tx.query(
                    f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{report.graph}> {{ ?s ?p ?o }} }}")))["n"].value)
                tx.remove_subject(report.graph, graph_iri(base, "meta"))
                tx.load_text(
                    describe_source(report, source, digest, chosen.version), graph=graph_iri(base, "meta")
                )
            after_write(tx, base)
    return [r[0] for r in reports]


@contextmanager
def _row_bar(path: Path, enabled):
    """A progress bar of rows read, on a terminal only (long ingests); yields its update function or None."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(desc=path.name, unit=" rows", leave=False, file=sys.stderr) as bar:
        yield lambda count: bar.update(count - bar.n)


def _merge(sidecar: SourceInfo, override: SourceInfo | None) -> SourceInfo:
    if override is None:
        return sidecar
    merged = {k: v for k, v in vars(sidecar).items()}
    merged.update({k: v for k, v in vars(override).items() if v not in (None, {}, False)})
    return SourceInfo(**merged)


def _choose_mapping(path, mappings, name, kind):
    if name:
        if name not in mappings:
            known = ", ".join(sorted(mappings))
            raise InvalidData(f"{path}: there is no mapping named '{name}'; known mappings: {known}")
        return mappings[name]
    return mapping_mod.detect_mapping(path, mappings, kind)


#: What is derived from the data at each write and published with the generation (in ``tx.dir``):
#: functions ``(transaction, base_uri) -> None``, run in order after the data changes.
DERIVED: tuple = (publish.build, build_search_index, build_summaries, build_stories)


def after_write(tx, base: str) -> None:
    """Bring what travels with every generation up to date: vocabulary, dataset description, derived files."""
    refresh_vocabulary(tx, base)
    for build in DERIVED:
        build(tx, base)


def refresh_vocabulary(tx, base: str) -> None:
    """Put the current ontology and code lists in `graph/ontology`, so labels travel with the data,
    and the dataset's description (`ontology/dataset.ttl`, IRIs relative to the base) in `graph/meta`.

    The ontology graph is reloaded only when the vocabulary files changed (their SHA-256 is kept
    in `graph/meta`): reloading its ~60k triples would otherwise dominate small ingests.
    """
    graph = graph_iri(base, "ontology")
    ontology = data_dir("ontology")
    files = [ontology / "fiscal.ttl", *sorted((ontology / "codes").glob("*.ttl"))]
    digest = hashlib.sha256(b"".join(sha256(f).encode() for f in files)).hexdigest()
    known = f"ASK {{ GRAPH <{graph_iri(base, 'meta')}> {{ <{graph}> <{FIS}sha256> {_lit(digest)} }} }}"
    if not tx.query(known):
        tx.clear_graph(graph)
        for ttl in files:
            tx.load_file(ttl, graph=graph)
        tx.remove_subject(graph, graph_iri(base, "meta"))
        tx.load_text(f"<{graph}> <{FIS}sha256> {_lit(digest)} .\n", graph=graph_iri(base, "meta"))
    tx.replace_descriptions(ontology / "dataset.ttl", graph=graph_iri(base, "meta"), base_iri=base)


def _lit(value, datatype: str | None = None, lang: str | None = None) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if lang:
        return f'"{text}"@{lang}'
    if datatype:
        return f'"{text}"^^<{datatype}>'
    return f'"{text}"'


def describe_source(report: IngestReport, source: SourceInfo, digest: str, mapping_version) -> str:
    """N-Triples describing one ingested file (PROV + DCAT + VoID), for the meta graph."""
    g = f"<{report.graph}>"
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    lines = [
        (f"<{RDF}type>", f"<{FIS}SourceFile>"),
        (f"<{RDF}type>", f"<{DCAT}Dataset>"),
        (f"<{RDF}type>", f"<{PROV}Entity>"),
        (f"<{FIS}fileName>", _lit(report.file.name)),
        (f"<{FIS}sha256>", _lit(digest)),
        (f"<{FIS}mapping>", _lit(report.mapping)),
        (f"<{FIS}mappingVersion>", _lit(mapping_version)),
        (f"<{PROV}generatedAtTime>", _lit(now, XSD + "dateTime")),
        (f"<{FIS}rowCount>", _lit(report.rows, XSD + "integer")),
        (f"<{VOID}triples>", _lit(report.triples, XSD + "integer")),
        (f"<{FIS}illustrative>", _lit(str(bool(source.illustrative)).lower(), XSD + "boolean")),
    ]
    for lang, title in (source.title or {"es": report.file.name}).items():
        lines.append((f"<{DCT}title>", _lit(title, lang=lang)))
    for lang, note in source.note.items():
        lines.append((f"<{DCT}description>", _lit(note, lang=lang)))
    if source.publisher:
        lines.append((f"<{DCT}publisher>", _lit(source.publisher)))
    if source.source_url:
        lines.append((f"<{DCT}source>", f"<{quote(source.source_url, safe=_IRI_SAFE)}>"))
    if source.retrieved:
        lines.append((f"<{FIS}retrieved>", _lit(source.retrieved, XSD + "date")))
    if source.licence:
        lines.append((f"<{DCT}license>", _lit(source.licence)))
    return "".join(f"{g} {p} {o} .\n" for p, o in lines)


def sample_files() -> list[Path]:
    """The bundled sample's source files: every file in sample/ that has a sidecar."""
    folder = data_dir("sample")
    return sorted(p for p in folder.iterdir() if p.is_file() and sidecar_path(p).is_file())


def stale_sample_files(store: Store) -> list[Path]:
    """Sample files whose graph is missing from the store or was made from other bytes."""
    known = {
        row["g"].value: row["sha"].value
        for row in store.query(
            f"SELECT ?g ?sha WHERE {{ GRAPH <{graph_iri(store.base_uri, 'meta')}> {{ ?g <{FIS}sha256> ?sha }} }}"
        )
    }
    return [p for p in sample_files() if known.get(graph_for(store.base_uri, p)) != sha256(p)]
