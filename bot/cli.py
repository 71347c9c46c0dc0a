"""The ``haven`` command: serve the Slack app, run the demo, classify, evaluate, train."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_USAGE = 2


#: One example per command, shown by ``haven COMMAND --help``.
EXAMPLES = {
    "serve": "HAVEN_DATA_DIR=/srv/haven haven serve      # settings from the environment and .env",
    "worker": "HAVEN_QUEUE_URL=redis://localhost:6379/0 haven worker",
    "migrate": "haven migrate",
    "demo": "haven demo",
    "classify": 'haven classify "you are a useless idiot"\n  haven classify --image meme.png',
    "images": "haven images add meme.png --label \"sales channel, March\"",
    "images add": "haven images add meme.png --label \"sales channel, March\"",
    "images list": "haven images list",
    "images remove": "haven images remove 3",
    "evaluate": "haven evaluate --data validation --plots plots/",
    "train": "haven train --out models/",
    "purge": "haven purge\n  # from cron, every night at 03:00:\n"
             "  0 3 * * * HAVEN_DATA_DIR=/srv/haven haven purge",
    "audit": "haven audit --since 30 --limit 20",
    "feedback": "haven feedback export --out data/feedback/slack.csv",
    "feedback export": "haven feedback export --out data/feedback/slack.csv",
    "case": "haven case export HVN-G3DDZ --out HVN-G3DDZ.md",
    "case export": "haven case export HVN-G3DDZ --out HVN-G3DDZ.md",
    "report": "haven report --year 2026 --format html --out figures-2026.html",
}
DATA = ("Data: the SQLite database and its key file live in HAVEN_DATA_DIR (default "
        "~/.local/share/haven), wherever a command runs; DATABASE_URL names another database. "
        "Settings come from the environment and from .env in the current directory.")


def _command(sub, name: str, *, help: str) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` says what it does and shows an example."""
    parser = sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".",
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.epilog = f"example:\n  {EXAMPLES[parser.prog.removeprefix('haven ')]}"
    return parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="haven", description=__doc__, epilog=DATA)
    sub = parser.add_subparsers(dest="command", required=True)

    _command(sub, "serve", help="run the Slack app (settings from the environment and .env)")
    worker = _command(sub, "worker", help="do the work after the ack (classification, OCR, "
                                           "notices) from the queue HAVEN_QUEUE_URL names")
    worker.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    worker.add_argument("--heartbeat", type=int, default=30, metavar="SECONDS",
                        help="a busy worker says it is alive this often; the job of one "
                             "silent three times as long is retried by another (default 30)")
    _command(sub, "migrate", help="bring the database schema up to date")
    _command(sub, "demo", help="the whole flow offline, against a built-in Slack double, "
                                "printed as each person sees it")

    classify = _command(sub, "classify", help="score messages (arguments, or one per line "
                                               "on standard input) and print JSON lines")
    classify.add_argument("messages", nargs="*", help="messages; none means read stdin")
    classify.add_argument("--model", type=Path, help="model artifact (.joblib)")
    classify.add_argument("--image", nargs="+", type=Path, metavar="PATH",
                          help="judge image files instead: their text (OCR, English + "
                               "Dutch) and known offensive images")

    images = _command(sub, "images", help="known offensive images (in Haven's database)")
    images_sub = images.add_subparsers(dest="images_command", required=True)
    images_add = _command(images_sub, "add", help="register image files as offensive")
    images_add.add_argument("paths", nargs="+", type=Path)
    images_add.add_argument("--label", default="", help="a note, e.g. where it was seen")
    _command(images_sub, "list", help="list registered images")
    images_remove = _command(images_sub, "remove", help="forget a registered image")
    images_remove.add_argument("id", type=int)

    evaluate = _command(sub, "evaluate", help="precision, recall, F1 and ROC-AUC on a "
                                               "labelled CSV (default: the functional suite)")
    evaluate.add_argument("--data", type=Path, help="CSV with text,label[,lang,"
                                                   "functionality,categories], or the word "
                                                   "'validation' for the held-out split of "
                                                   "the training data")
    evaluate.add_argument("--model", type=Path, help="model artifact (.joblib)")
    evaluate.add_argument("--plots", type=Path, metavar="DIR",
                          help="also write precision-recall, calibration and confusion-"
                               "matrix PNGs here")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument("--real", action="store_true",
                          help="the real-text benchmark instead, next to alt-profanity-check: "
                               "flags per 1,000 real chat messages, recall on real labelled "
                               "sets, words behind false flags, identity bias")
    evaluate.add_argument("--limit", type=int, metavar="N",
                          help="with --real: only the first N rows of each set (a quick check)")

    train = _command(sub, "train", help="rebuild the model and its card from data/")
    train.add_argument("--data-dir", type=Path, help="folder with the datasets (data/)")
    train.add_argument("--out", type=Path, help="output folder (models/)")
    _add_report_command(sub)
    _add_data_commands(sub)
    return parser


def _add_data_commands(sub) -> None:
    """purge, audit, feedback export, case export: the operator's side of the privacy model."""
    purge = _command(sub, "purge", help="erase what the retention settings say must go, in "
                                         "every workspace, leaving no erased bytes on disk")
    purge.add_argument("--now", metavar="ISO-DATETIME",
                       help="purge as if it were then (UTC unless a zone is given)")
    audit = _command(sub, "audit", help="print the audit log: who did what, when (never "
                                         "content)")
    audit.add_argument("--team", help="only this workspace (team id)")
    audit.add_argument("--since", type=int, metavar="DAYS", help="only the last DAYS days")
    audit.add_argument("--limit", type=int, default=100, metavar="N",
                       help="the newest N entries (default 100)")
    feedback = _command(sub, "feedback", help="labelled examples collected in Slack")
    feedback_export = _command(
        feedback.add_subparsers(dest="feedback_command", required=True), "export",
        help="write those still within retention as training CSV; in data/feedback/ they "
             "join `haven train`")
    feedback_export.add_argument("--out", type=Path, help="CSV file (default: standard output)")
    case = _command(sub, "case", help="cases reported to a confidant")
    case_export = _command(case.add_subparsers(dest="case_command", required=True), "export",
                           help="a case as Markdown for its reporter (only with their consent)")
    case_export.add_argument("number", help="the case number, e.g. HVN-ABCDE")
    case_export.add_argument("--team", help="the workspace (team id), if several have it")
    case_export.add_argument("--out", type=Path, help="Markdown file (default: standard output)")
    case_export.add_argument("--language", choices=("en", "nl"), default="en")


def _load(path: Path | None):
    from classifier import ModelLoadError, load_model

    try:
        return load_model(path)
    except ModelLoadError as error:
        print(f"haven: {error}", file=sys.stderr)
        raise SystemExit(1) from None


def _engine(*, keyed: bool = True, create: bool = False):
    """The database, migrated. ``keyed``: the command reads sealed data, so the key must
    open it (the figures, the audit log and known images need no key). Unless ``create``,
    a command that finds no database refuses rather than make an empty one: from the wrong
    directory or with the wrong settings, "erased 0 flags" would look like success."""
    from bot.config import SettingsError, database_url_from_env
    from bot.storage.db import make_engine, migrate
    from bot.storage.sealing import attach

    try:
        url = database_url_from_env()
        if not create:
            _refuse_without_database(url)
        engine = make_engine(url)
    except SettingsError as error:
        print(f"haven: {error}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
    vault = _vault() if keyed else None
    migrate(engine, vault)  # refuses a key that cannot open what the database holds
    if vault is not None:
        attach(engine, vault)  # the ids in cases and notices are sealed with it
    return engine


def _refuse_without_database(url: str) -> None:
    """Exit with one line when ``url`` names no database Haven has set up."""
    from bot.config import sqlite_path
    from bot.storage.db import has_schema

    if has_schema(url):
        return
    path = sqlite_path(url)
    where = f"no database at {path}" if path else "the database DATABASE_URL names is empty"
    raise SystemExit(_refuse(
        f"{where}. Set HAVEN_DATA_DIR (default ~/.local/share/haven) or DATABASE_URL, in the "
        "environment or in .env in the current directory, to the data `haven serve` uses; "
        "`haven migrate` creates a new one."))


def _known(engine) -> list[tuple[int, list[str]]]:
    from bot.storage import queries as q
    from bot.storage.db import session_scope

    with session_scope(engine) as session:
        return q.known_fingerprints(session)


def classify_images(args: argparse.Namespace) -> int:
    """One JSON object per image: the text result plus ocr_text and matched_known_image."""
    from bot.config import database_url_from_env
    from bot.images import ImageRejected, dictionary_for, judge
    from bot.storage.db import has_schema

    model = _load(args.model)
    # without a database there are no known images yet: judge by the text alone
    known = _known(_engine(keyed=False)) if has_schema(database_url_from_env()) else []
    dictionary = dictionary_for(model)
    status = 0
    for path in args.image:
        try:
            verdict = judge(path.read_bytes(), model=model, dictionary=dictionary, known=known)
        except (OSError, ImageRejected) as error:
            print(f"haven: {path}: {error}", file=sys.stderr)
            status = 1
            continue
        keys = ("score", "flagged", "categories", "language", "ocr_text",
                "matched_known_image")
        print(json.dumps({"path": str(path), **{k: verdict[k] for k in keys}},
                         ensure_ascii=False))
    return status


def cmd_images(args: argparse.Namespace) -> int:
    """Manage known offensive images."""
    from bot.images import ImageRejected, encode_layout, fingerprint
    from bot.storage import queries as q
    from bot.storage.db import session_scope

    engine = _engine(keyed=False, create=args.images_command == "add")
    dictionary = None
    with session_scope(engine) as session:
        if args.images_command == "list":
            for row in q.known_images(session):
                print(f"{row.id}\t{row.added_at:%Y-%m-%d}\t{row.label}")
            return 0
        if args.images_command == "remove":
            if not q.remove_known_image(session, image_id=args.id):
                print(f"haven: no known image {args.id}", file=sys.stderr)
                return 1
            print(f"removed {args.id}")
            return 0
        status = 0
        for path in args.paths:
            if dictionary is None:
                from bot.images import dictionary_for

                dictionary = dictionary_for(_load(None))
            try:
                print_ = fingerprint(path.read_bytes(), dictionary)
            except (OSError, ImageRejected) as error:
                print(f"haven: {path}: {error}", file=sys.stderr)
                status = 1
                continue
            row = q.add_known_image(session, team_id="", hashes=print_.hashes,
                                    words=print_.words, label=args.label or path.name,
                                    added_by="cli", layout=encode_layout(print_.layout))
            print(f"added {row.id}\t{path}")
    return status


def cmd_classify(args: argparse.Namespace) -> int:
    """One JSON object per message; an empty line gives an unflagged result."""
    if args.image:
        return classify_images(args)
    model = _load(args.model)
    messages = args.messages or [line.rstrip("\r\n") for line in sys.stdin]
    batch = 512
    for start in range(0, len(messages), batch):
        for result in model.classify(messages[start:start + batch]):
            print(json.dumps(result.to_dict(), ensure_ascii=False))
    return 0


def validation_rows() -> list[dict]:
    """The validation split of the training data, as rows for the evaluation report."""
    from classifier.data import load_training_data
    from classifier.train import is_validation

    return [{"text": e.text, "y": e.label, "lang": e.lang, "functionality": e.functionality,
             "categories": ";".join(c for c, v in e.categories.items() if v == 1)}
            for e in load_training_data() if is_validation(e.group)]


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Print the evaluation report for a labelled CSV."""
    import numpy as np

    from classifier.evaluate import (
        default_suite_path,
        evaluate_rows,
        format_report,
        read_labelled,
        write_plots,
    )

    model = _load(args.model)
    if args.real:
        return evaluate_real(model, args)
    path = args.data or default_suite_path()
    try:
        rows = validation_rows() if str(path) == "validation" else read_labelled(path)
    except (OSError, ValueError, KeyError) as error:
        print(f"haven: cannot read {path}: {error}", file=sys.stderr)
        return EXIT_USAGE
    results = model.classify([row["text"] for row in rows])
    scores = np.array([r.score for r in results])
    categories = np.array([[r.categories[c] for c in r.categories] for r in results])
    report = evaluate_rows(rows, scores, categories if len(results) else None,
                           [r.language for r in results], model.threshold)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report, f"{path.name} ({len(rows)} messages)"))
    if args.plots:
        y = np.array([row["y"] for row in rows])
        for written in write_plots(y, scores, model.threshold, args.plots):
            print(f"wrote {written}")
    return 0


def evaluate_real(model, args: argparse.Namespace) -> int:
    """The real-text benchmark (classifier/benchmark.py), as text or JSON, and its plots."""
    from classifier import benchmark

    detectors = [benchmark.haven_detector(model)]
    reference = benchmark.profanity_check_detector()
    if reference is None:
        print("haven: alt-profanity-check is not installed (pip install -e '.[dev]'): "
              "Haven's figures only", file=sys.stderr)
    else:
        detectors.append(reference)
    try:
        result = benchmark.run_benchmark(detectors, limit=args.limit)
    except FileNotFoundError as error:
        print(f"haven: the real-text sets are missing ({error.filename}); they ship in data/ "
              "of a checkout", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(result.report, indent=2))
    else:
        print(benchmark.format_report(result.report), end="")
    for written in benchmark.write_plots(result, args.plots) if args.plots else []:
        print(f"wrote {written}", file=sys.stderr if args.json else sys.stdout)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Rebuild the model and its card, printing progress."""
    from classifier.model import default_model_path
    from classifier.train import train

    out = args.out or default_model_path().parent
    model = train(out, args.data_dir, progress=lambda line: print(line, flush=True))
    overall = model.card["validation"]["overall"]
    print(f"validation macro-F1 {overall['macro_f1']:.3f}, ROC-AUC {overall['roc_auc']:.3f}")
    return 0


def _settings():
    from bot.config import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as error:
        print(f"haven: {error}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def configure_logging(level: str) -> None:
    """Only the entry point configures logging. Slack's libraries may log request bodies at
    DEBUG (message text, tokens), so they never log below INFO."""
    import logging

    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("slack_sdk", "slack_bolt", "urllib3", "waitress"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLevelName(level)))
    # Alembic tells each start which database driver it uses: noise, unless debugging.
    quiet = logging.DEBUG if level == "DEBUG" else max(logging.WARNING,
                                                        logging.getLevelName(level))
    logging.getLogger("alembic").setLevel(quiet)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the app until interrupted."""
    from bot.server import StartError, serve

    settings = _settings()
    configure_logging(settings.log_level)
    try:
        serve(settings)
    except StartError as error:
        return _refuse(str(error))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Take jobs from Redis until SIGTERM (or, with --burst, until none are left)."""
    from bot.jobs import work
    from bot.storage.crypto import Vault
    from bot.storage.db import check_keys, make_engine

    settings = _settings()
    configure_logging(settings.log_level)
    check_keys(make_engine(settings.database_url), Vault(settings.encryption_keys))
    # No Tesseract check here (`haven serve` makes it): a child process started before RQ's
    # worker loop kept that worker from stopping on SIGTERM (tests/test_scaleout.py).
    if settings.queue_url is None:
        return _refuse("HAVEN_QUEUE_URL is not set: without a queue, `haven serve` does the "
                       "work itself (set it to a Redis URL such as redis://localhost:6379/0)")
    return work(settings, burst=args.burst, heartbeat=max(1, args.heartbeat))


def cmd_migrate(args: argparse.Namespace) -> int:
    """Create the database or bring its schema up to date (it needs no Slack settings)."""
    configure_logging("WARNING")
    _engine(create=True).dispose()
    print("database is up to date")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The offline demo."""
    from bot.demo import run

    configure_logging("WARNING")
    return run()


def _refuse(message: str) -> int:
    """A one-line error on stderr; the usage exit code."""
    print(f"haven: {message}", file=sys.stderr)
    return EXIT_USAGE


def _vault():
    """The evidence keys as `haven serve` finds them (HAVEN_ENCRYPTION_KEY, else the key file
    beside a SQLite database), without asking for the Slack tokens."""
    from bot import config
    from bot.storage.crypto import Vault

    try:
        return Vault(config._encryption_keys(config.read_environment(),
                                             config.database_url_from_env()))
    except config.SettingsError as error:
        print(f"haven: {error}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def _write_private(path: Path | None, text: str) -> None:
    """Text to ``path`` readable by its owner alone (it holds evidence), or to stdout."""
    import os

    if path is None:
        sys.stdout.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def cmd_purge(args: argparse.Namespace) -> int:
    """Erase what retention says must go, then leave no erased bytes in the database files."""
    from datetime import UTC, datetime

    from bot.storage import queries as q
    from bot.storage.db import compact, session_scope

    try:
        now = datetime.fromisoformat(args.now) if args.now else None
    except ValueError:
        return _refuse(f"--now must be an ISO date and time such as 2026-12-01T03:00 "
                       f"(got {args.now!r})")
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    engine = _engine()
    with session_scope(engine) as session:
        counts = q.purge(session, now=now)
    print("erased " + ", ".join(f"{counts[kind]} {kind[:-1] if counts[kind] == 1 else kind}"
                                for kind in q.PURGED))
    if not compact(engine):
        print("haven: another process is using the database, so the erased rows may still be "
              "on disk (SQLite's write-ahead log, or PostgreSQL tables not yet rewritten); run "
              "`haven purge` again", file=sys.stderr)
        return 1
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """The audit log, one entry a line: time (UTC), workspace, actor, action, subject."""
    from datetime import UTC, datetime, timedelta

    from bot.storage import queries as q
    from bot.storage.db import session_scope

    if args.limit < 1 or (args.since is not None and args.since < 0):
        return _refuse("--limit must be at least 1 and --since at least 0")
    since = None if args.since is None else datetime.now(UTC) - timedelta(days=args.since)
    with session_scope(_engine(keyed=False)) as session:
        entries = q.audit_entries(session, team_id=args.team, since=since, limit=args.limit)
    for entry in entries:
        at = entry.at.astimezone(UTC).isoformat(timespec="seconds")
        print("\t".join((at, entry.team_id, entry.actor, entry.action, entry.subject)))
    return 0


FEEDBACK_FIELDS = ("text", "lang", "label", "functionality", "categories", "pair_id")


def feedback_rows(session, vault) -> tuple[list[dict], int]:
    """Training rows (data/haven_workplace format) of the examples that still have text,
    auditing the export per workspace; and how many could not be decrypted."""
    from collections import Counter

    from bot.storage import queries as q
    from bot.storage.crypto import EvidenceUnreadable

    rows, unreadable, per_team = [], 0, Counter()
    for example in q.examples_with_text(session):
        try:
            text = vault.open(example.text_cipher).get("text")
        except EvidenceUnreadable:
            unreadable += 1
            continue
        if text:
            harassing = example.label == "harassing"
            categories = ";".join(c for c in example.categories.split(",") if c.strip())
            rows.append({"text": text, "lang": example.language, "label": example.label,
                         "functionality": f"feedback_{example.source}",
                         "categories": categories if harassing else "",
                         "pair_id": f"fb-{example.id}"})
            per_team[example.team_id] += 1
    for team_id, count in per_team.items():
        q.audit(session, team_id=team_id, actor="cli", action="feedback_exported",
                subject=f"examples:{count}")
    return rows, unreadable


def cmd_feedback(args: argparse.Namespace) -> int:
    """Write the labelled examples still within retention as training CSV."""
    import csv
    import io

    from bot.storage.db import session_scope

    engine, vault = _engine(), _vault()
    with session_scope(engine) as session:
        rows, unreadable = feedback_rows(session, vault)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FEEDBACK_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    _write_private(args.out, buffer.getvalue())
    if unreadable:
        print(f"haven: {unreadable} examples could not be decrypted with the configured keys",
              file=sys.stderr)
    if args.out is not None:
        print(f"wrote {len(rows)} examples to {args.out}")
    return 0


def cmd_case(args: argparse.Namespace) -> int:
    """Export a case as Markdown for its reporter (only with their consent)."""
    from bot.export import ExportRefused, case_document
    from bot.storage import queries as q
    from bot.storage.db import session_scope

    number = args.number.strip().upper()
    engine, vault = _engine(), _vault()
    with session_scope(engine) as session:
        teams = [c.team_id for c in q.cases_numbered(session, number=number,
                                                     team_id=args.team)]
        if len(teams) != 1:
            return _refuse(f"case {number} is in several workspaces ({', '.join(teams)}): "
                           "choose one with --team" if teams else f"there is no case {number}")
        try:
            document = case_document(session, vault=vault, team_id=teams[0], number=number,
                                      actor="cli", language=args.language)
        except ExportRefused as refused:
            return _refuse(str(refused))
    _write_private(args.out, document)
    if args.out is not None:
        print(f"wrote case {number} to {args.out}")
    return 0


def _year(text: str) -> int:
    if not text.isdigit() or not 2000 <= int(text) <= 2999:
        raise argparse.ArgumentTypeError(f"a year such as 2026, not {text!r}")
    return int(text)


def _add_report_command(sub) -> None:
    """`haven report`: anonymous figures for a year (RI&E, the confidant's annual report)."""
    report = _command(sub, "report", help="anonymous figures for a year, for the RI&E and "
                                           "the confidant's annual report (counts under 5 "
                                           "hidden)")
    report.add_argument("--year", type=_year, required=True, help="the calendar year (UTC)")
    report.add_argument("--format", choices=("md", "csv", "html"), default="md",
                        help="Markdown (default), CSV in long format, or a printable HTML page")
    report.add_argument("--team", metavar="TEAM_ID", help="one workspace (default: all)")
    report.add_argument("--language", choices=("en", "nl"), default="en")
    report.add_argument("--out", type=Path, help="file to write (default: standard output)")


def cmd_report(args: argparse.Namespace) -> int:
    """Write a year's anonymous figures; the audit log records that they were made."""
    from bot.figures import render, year_figures
    from bot.storage import queries as q
    from bot.storage.db import session_scope

    try:
        with session_scope(_engine(keyed=False)) as session:
            text = render(year_figures(session, year=args.year, team_id=args.team),
                          args.format, args.language)
            if args.out is not None:
                args.out.write_text(text, encoding="utf-8")
            q.audit(session, team_id=args.team or "", actor="cli", action="figures_report",
                    subject=str(args.year))
    except OSError as error:
        print(f"haven: cannot write {args.out}: {error.strerror}", file=sys.stderr)
        return 1
    if args.out is None:
        sys.stdout.write(text)
    else:
        print(f"wrote {args.out}")
    return 0


COMMANDS = {"classify": cmd_classify, "evaluate": cmd_evaluate, "train": cmd_train,
            "serve": cmd_serve, "migrate": cmd_migrate, "demo": cmd_demo, "images": cmd_images,
            "worker": cmd_worker,
            "purge": cmd_purge, "audit": cmd_audit, "feedback": cmd_feedback,
            "case": cmd_case, "report": cmd_report}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``haven`` command."""
    from bot.config import SettingsError

    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except SettingsError as error:  # e.g. a key that cannot open the stored evidence
        return _refuse(str(error))
