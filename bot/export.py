"""A case as a Markdown document for the reporter's own use (``haven case export``).

Only with the reporter's consent recorded in the case, and only while its evidence exists.
Everything people typed or posted is quoted as a Markdown block quote, line by line, so it
reads exactly as written yet can never pass for a heading or a line of Haven's own.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlmodel import Session

from bot.i18n import Texts
from bot.storage import queries as q
from bot.storage.crypto import EvidenceUnreadable, Vault
from bot.storage.models import Case, CaseMessage, Evidence, EvidenceFile

_SAFE_LINK = re.compile(r"^https?://[^\s<>]+$")


class ExportRefused(Exception):
    """The case may not be exported; the message says why."""


def case_document(session: Session, *, vault: Vault, team_id: str, number: str, actor: str,
                  language: str = "en") -> str:
    """The case ``number`` as Markdown: its dates, evidence with SHA-256, note and relay.
    Writes an audit row; raises :class:`ExportRefused` without the reporter's consent or
    when the evidence was erased."""
    _ = Texts(language)
    case = _case(session, _, team_id, number)
    evidence, files = q.evidence_of(session, team_id=team_id, evidence_id=case.evidence_id)
    if evidence is None:
        raise ExportRefused(_("export.refused_erased", number=number))
    try:
        bundle = vault.open(evidence.cipher)
        note = vault.open(case.note_cipher).get("note") if case.note_cipher else None
        relay = [(m, _payload_text(vault.open(m.cipher)))
                 for m in q.case_messages(session, team_id=team_id, case_id=case.id)]
    except EvidenceUnreadable:
        raise ExportRefused(_("export.refused_unreadable", number=number)) from None
    q.audit(session, team_id=team_id, actor=actor, action="case_exported",
            subject=f"case:{number}")
    parts = [_summary(_, case), _evidence(_, bundle, files), _integrity(_, evidence),
             _note(_, note), _relay(_, relay)]
    return "\n\n".join(parts) + "\n"


def _case(session: Session, _: Texts, team_id: str, number: str) -> Case:
    found = q.cases_numbered(session, number=number, team_id=team_id)
    if not found:
        raise ExportRefused(_("export.refused_missing", number=number))
    if found[0].export_consent_at is None:
        raise ExportRefused(_("export.refused_consent", number=number))
    return found[0]


def quote(text: str | None) -> str:
    """User text as a Markdown block quote: every line (whatever ends it) starts with "> ",
    so nothing in it can become a heading or end the quote. Nothing is escaped or lost."""
    lines = (text or "").splitlines() or [""]
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def _when(moment: datetime | None, _: Texts) -> str:
    if moment is None:
        return _("export.not_yet")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _slack_time(ts: object, _: Texts) -> str:
    try:
        return _when(datetime.fromtimestamp(float(ts), UTC), _)
    except (TypeError, ValueError, OverflowError, OSError):
        return _("export.unknown")


def _link(url: object, _: Texts) -> str:
    if isinstance(url, str) and _SAFE_LINK.match(url):
        return f"<{url}>"
    return _code(str(url)) if url else _("export.unknown")


def _summary(_: Texts, case: Case) -> str:
    status = _("status." + case.status) if case.status in STATUSES else case.status
    outcome = _("outcome." + case.outcome) if case.outcome in OUTCOMES else \
        (case.outcome or _("export.not_yet"))
    rows = [(_("export.status_label"), status),
            (_("export.created"), _when(case.created_at, _)),
            (_("export.delivered"), _when(case.delivered_at, _)),
            (_("export.acknowledged"), _when(case.acknowledged_at, _)),
            (_("export.closed"), _when(case.closed_at, _)),
            (_("export.outcome_label"), outcome)]
    lines = [f"# {_('export.title', number=case.number)}", "", _("export.intro")]
    lines += ["", *(f"- **{label}:** {value}" for label, value in rows)]
    return "\n".join(lines)


def _evidence(_: Texts, bundle: dict, files: list[EvidenceFile]) -> str:
    author, channel = bundle.get("author"), bundle.get("channel")
    lines = [f"## {_('export.evidence')}", "", f"**{_('export.message')}**", "",
             quote(bundle.get("text")), "",
             f"- **{_('export.author')}:** {_id(author, _)}",
             f"- **{_('export.channel')}:** {_id(channel, _)}",
             f"- **{_('export.posted')}:** {_slack_time(bundle.get('ts'), _)}",
             f"- **{_('export.permalink')}:** {_link(bundle.get('permalink'), _)}"]
    if bundle.get("edited"):
        lines.append(f"- {_('export.edited')}")
    if bundle.get("ocr_text"):
        lines += ["", f"**{_('export.ocr_text')}**", "", quote(bundle["ocr_text"])]
    if files_listed := _file_lines(_, bundle, files):
        lines += ["", f"**{_('export.files')}**", "", *files_listed]
    return "\n".join(lines)


def _id(value: object, _: Texts) -> str:
    """A Slack id (``U…``, ``C…``) as code; anything else is no id and shown as unknown."""
    if isinstance(value, str) and re.fullmatch(r"[A-Z0-9]{2,32}", value):
        return f"`{value}`"
    return _("export.unknown")


def _file_lines(_: Texts, bundle: dict, files: list[EvidenceFile]) -> list[str]:
    """One line per distinct file SHA-256: the image the flag was about and stored files."""
    shared = bundle.get("image_sha256")
    names = {shared: bundle.get("file_name")} if shared else {}
    for row in files:
        names.setdefault(row.sha256, row.mimetype)
    return [f"- {_('export.file', name=_code(name or _('export.image')), sha=sha)}"
            for sha, name in names.items()]


def _code(text: str) -> str:
    """Text on one line as inline code, fenced by more backticks than it contains."""
    flat = " ".join(str(text).split())
    fence = "`" * (max((len(run) for run in re.findall("`+", flat)), default=0) + 1)
    return f"{fence} {flat} {fence}"


def _integrity(_: Texts, evidence: Evidence) -> str:
    return "\n".join([f"## {_('export.integrity_title')}", "",
                      f"SHA-256: `{evidence.sha256}`", "", _("export.integrity")])


def _note(_: Texts, note: str | None) -> str:
    body = quote(note) if note else _("export.no_note")
    return f"## {_('export.note')}\n\n{body}"


def _relay(_: Texts, relay: list[tuple[CaseMessage, str]]) -> str:
    lines = [f"## {_('export.relay')}"]
    for message, text in relay:
        who = _("export.from_confidant") if message.sender == "confidant" else \
            _("export.from_reporter")
        lines += ["", f"**{who}**, {_when(message.created_at, _)}", "", quote(text)]
    if not relay:
        lines += ["", _("export.no_messages")]
    return "\n".join(lines)


def _payload_text(payload: object) -> str:
    """The text of a relay message (sealed as ``{"text": ...}``)."""
    if isinstance(payload, dict):
        return str(payload.get("text") or payload.get("note") or "")
    return str(payload)


STATUSES = ("held", "awaiting_confidant", "open", "acknowledged", "closed", "withdrawn",
            "expired")
OUTCOMES = ("advice", "referred", "withdrawn", "other")
