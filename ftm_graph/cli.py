"""The `ftm-graph` command.

Exit codes: 0 success; 1 `validate` found violations; 2 the input, the store
or the command line is wrong (one clear sentence on stderr, no traceback);
130 interrupted.
"""

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

from . import __version__
from .config import Settings, help_for
from .errors import FtmGraphError, InvalidData

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130

QUERY_FORMATS = ["csv", "tsv", "json", "xml", "turtle", "ntriples"]


def _store_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", help=help_for("store"))
    p.add_argument("--update-url", help=help_for("update_url"))
    p.add_argument("--gsp-url", help=help_for("gsp_url"))
    p.add_argument("--state-dir", help=help_for("state_dir"))


def _server_args(p: argparse.ArgumentParser) -> None:
    _store_arg(p)
    p.add_argument("--host", help=help_for("host"))
    p.add_argument("--port", type=int, help=help_for("port"))
    p.add_argument("--base-uri", help=help_for("base_uri"))
    p.add_argument("--query-timeout", type=float, help=help_for("query_timeout"))
    p.add_argument("--max-rows", type=int, help=help_for("max_rows"))
    p.add_argument("--federation-allow", action="append", metavar="URL",
                   help="A SPARQL endpoint that queries may call with SERVICE; repeat for several. "
                        + help_for("federation_allow"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ftm-graph",
        description="Follow the Money in Zacatecas: public-finance records as a linked-open-data graph.",
        epilog="Exit codes: 0 success; 1 validate found violations; 2 bad input, store or usage; 130 interrupted. "
        "Every option can also be set with an FTM_GRAPH_* environment variable (flag > environment > default).",
    )
    parser.add_argument("--version", action="version", version=f"ftm-graph {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="Map source files (CSV, OCDS JSON) into the store, one named graph per file.")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="Source files to ingest.")
    p.add_argument("--kind", choices=["budget", "debt", "trust", "procurement", "payments", "catalogue"],
                   help="Kind of records, when the file's layout alone does not tell.")
    p.add_argument("--mapping", help="Name of the mapping to use (see mappings/); overrides detection.")
    p.add_argument("--encoding", help="Encoding of the files (utf-8, latin-1, cp1252); detected by default.")
    p.add_argument("--skip-bad-rows", action="store_true",
                   help="Load the rows that fit and write the others, with reasons, to FILE.rejects.csv "
                        "(default: refuse the whole file).")
    p.add_argument("--rejects-dir", type=Path, help="Folder for the rejects files (default: beside each file).")
    p.add_argument("--publisher", help="Who published the file (recorded in its provenance).")
    p.add_argument("--source-url", help="Where the file was obtained (recorded in its provenance).")
    p.add_argument("--retrieved", help="Date the file was obtained, YYYY-MM-DD (recorded in its provenance).")
    p.add_argument("--title", help="Title of the file, in Spanish (recorded in its provenance).")
    _store_arg(p)
    p.add_argument("--base-uri", help=help_for("base_uri") + " Used only when the store is created.")

    p = sub.add_parser("load", help="Load RDF files as they are (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML).")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="RDF files; the syntax comes from the suffix.")
    p.add_argument("--graph", help="Named graph IRI for the triples (default: {base}graph/{file name}).")
    _store_arg(p)
    p.add_argument("--base-uri", help=help_for("base_uri") + " Used only when the store is created.")

    p = sub.add_parser("query", help="Run a SPARQL query on the store and print the results.")
    p.add_argument("query", metavar="QUERY_OR_FILE", help="A SPARQL query, or a file holding one (e.g. sparql_queries/*.rq).")
    p.add_argument("--format", choices=QUERY_FORMATS,
                   help="Output format (default: csv for SELECT/ASK, turtle for CONSTRUCT/DESCRIBE).")
    _store_arg(p)

    p = sub.add_parser("serve", help="Serve the web pages and the SPARQL endpoint.")
    _server_args(p)

    p = sub.add_parser("demo", help="Build the bundled Zacatecas sample into the store if needed, then serve it.")
    _server_args(p)
    p.add_argument("--no-serve", action="store_true", help="Only build the sample graph; do not start the server.")

    p = sub.add_parser("validate", help="Check the store against the SHACL shapes (exit 0 conforms, 1 violations).")
    _store_arg(p)
    p.add_argument("--lang", choices=["es", "en"], default="es", help="Language of the report.")

    p = sub.add_parser("dump", help="Write the whole store as N-Quads or TriG.")
    _store_arg(p)
    p.add_argument("--format", choices=["nquads", "trig"], default="nquads", help="Output syntax.")
    p.add_argument("-o", "--output", default="-", help="Output file; '-' (default) for standard output.")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env(
        store=args.store,
        update_url=args.update_url,
        gsp_url=args.gsp_url,
        state_dir=args.state_dir,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        base_uri=getattr(args, "base_uri", None),
        query_timeout=getattr(args, "query_timeout", None),
        max_rows=getattr(args, "max_rows", None),
        federation_allow=tuple(args.federation_allow) if getattr(args, "federation_allow", None) else None,
    )
    try:
        return COMMANDS[args.command](args, settings) or EXIT_OK
    except FtmGraphError as e:
        print(f"ftm-graph: {e}", file=sys.stderr)
        for problem in getattr(e, "problems", [])[:50]:
            print(f"  - {problem}", file=sys.stderr)
        if isinstance(e, InvalidData) and getattr(e, "problems", None):
            print("Nothing was loaded: the store is unchanged.", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("ftm-graph: interrupted; the store is unchanged", file=sys.stderr)
        return EXIT_INTERRUPTED


def _open(settings: Settings, create: bool = False):
    """The embedded store (a folder) or a remote SPARQL server (a URL), see remote.open_store."""
    from .remote import open_store

    return open_store(settings, create=create)


def cmd_ingest(args, settings: Settings) -> int:
    from .sources import SourceInfo, ingest

    info = SourceInfo(
        publisher=args.publisher,
        source_url=args.source_url,
        retrieved=args.retrieved,
        title={"es": args.title} if args.title else {},
    )
    with _open(settings, create=True) as store:
        reports = ingest(store, args.files, kind=args.kind, mapping_name=args.mapping, info=info,
                         encoding=args.encoding, progress=_progress, skip_bad_rows=args.skip_bad_rows,
                         rejects_dir=args.rejects_dir)
    print(f"ingested {len(reports)} file(s) into {settings.store}", file=sys.stderr)
    return EXIT_OK


def _progress(report) -> None:
    print(f"  {report.file.name}: {report.rows} rows, {report.triples} triples via {report.mapping} -> {report.graph}",
          file=sys.stderr)
    if report.rejected:
        print(f"  {report.file.name}: {report.rejected} rows did not fit and were left out; "
              f"they are listed with the reasons in {report.rejects}", file=sys.stderr)


def cmd_load(args, settings: Settings) -> int:
    from .sources import after_write, graph_for

    for path in args.files:
        if not path.is_file():
            raise InvalidData(f"{path}: no such file")
    with _open(settings, create=True) as store:
        with store.transaction() as tx:
            for path in args.files:
                graph = args.graph
                if graph is None and not _is_dataset_syntax(path):
                    graph = graph_for(store.base_uri, path)
                tx.load_file(path, graph=graph, replace=True)
            after_write(tx, store.base_uri)  # last: a dump carries an older copy of the ontology graph
    print(f"loaded {len(args.files)} file(s) into {settings.store}", file=sys.stderr)
    return EXIT_OK


def _is_dataset_syntax(path: Path) -> bool:
    return path.suffix.lower() in (".nq", ".trig")


def cmd_query(args, settings: Settings) -> int:
    from . import formats

    text = args.query
    candidate = Path(text)
    saved = None
    if "\n" not in text and len(text) < 4096 and candidate.suffix in (".rq", ".sparql"):
        if not candidate.is_file():
            raise InvalidData(f"{candidate}: no such query file")
        text = candidate.read_text(encoding="utf-8")
        if candidate.suffix == ".rq":
            from .endpoint import load_queries

            saved = load_queries(candidate.parent).get(candidate.stem)
    with _open(settings) as store:
        if saved is not None:  # a saved query's '# param' lines bind its variables, as on the web
            text = saved.text_for(store.base_uri)
        try:
            results = store.query(text)
        except SyntaxError as e:
            raise InvalidData(f"the query is not valid SPARQL: {e}") from None
        kind = formats.result_kind(results)
        offered = formats.GRAPH_FORMATS if kind == "triples" else formats.RESULT_FORMATS
        fmt = formats.by_alias(offered, args.format or ("turtle" if kind == "triples" else "csv"))
        if fmt is None or fmt.writer is None:
            what = "a CONSTRUCT or DESCRIBE" if kind == "triples" else "a SELECT or ASK"
            raise InvalidData(f"{what} result cannot be written as {args.format}")
        sys.stdout.buffer.write(formats.serialize(results, fmt))
    return EXIT_OK


def cmd_serve(args, settings: Settings) -> int:
    import uvicorn

    from .app import create_app

    with _open(settings) as store:
        app = create_app(settings, store=store)
        print(f"ftm-graph serving {settings.store} at http://{settings.host}:{settings.port}/", file=sys.stderr)
        # asyncio, not uvloop even when installed: the query pool watches worker sockets with add_reader
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", loop="asyncio")
    return EXIT_OK


def cmd_demo(args, settings: Settings) -> int:
    from .sources import ingest, stale_sample_files

    if args.base_uri is None and "FTM_GRAPH_BASE_URI" not in os.environ:
        # The demo's IRIs use the address it serves on, so that every IRI is clickable.
        settings = replace(settings, base_uri=f"http://{settings.host}:{settings.port}/")

    with _open(settings, create=True) as store:
        stale = stale_sample_files(store)
        if stale:
            print(f"building the Zacatecas sample graph ({len(stale)} source files) into {settings.store}",
                  file=sys.stderr)
            ingest(store, stale, progress=_progress)
        else:
            print(f"the sample graph in {settings.store} is up to date", file=sys.stderr)
    if args.no_serve:
        return EXIT_OK
    return cmd_serve(args, settings)


def cmd_validate(args, settings: Settings) -> int:
    from .store import union_graph
    from .validate import format_report, validate_graph

    with _open(settings) as store:
        graph = union_graph(store)
    report = validate_graph(graph)
    print(format_report(report, lang=args.lang))
    return EXIT_OK if report.conforms else EXIT_VIOLATIONS


def cmd_dump(args, settings: Settings) -> int:
    with _open(settings) as store:
        if args.output == "-":
            store.dump(sys.stdout.buffer, args.format)
        else:
            with open(args.output, "wb") as out:
                store.dump(out, args.format)
    return EXIT_OK


COMMANDS = {
    "ingest": cmd_ingest,
    "load": cmd_load,
    "query": cmd_query,
    "serve": cmd_serve,
    "demo": cmd_demo,
    "validate": cmd_validate,
    "dump": cmd_dump,
}

if __name__ == "__main__":
    sys.exit(main())
