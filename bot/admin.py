"""``/haven`` for admins, and the same settings from the App Home's modals.

Only workspace admins and owners (``users.info``) may change anything; the check is made on
every change, never trusted from the view that offered the button. Every change is written
to the audit log. Admins see anonymous aggregates, never a report or a reporter.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.files import fetch_image, is_image_entry
from bot.i18n import LANGUAGES, Texts
from bot.images import ImageRejected, encode_layout, fingerprint
from bot.notify import SlackGateway
from bot.storage import queries as q
from bot.storage.db import session_scope

log = logging.getLogger(__name__)

#: The words for a confidant's kind in either language (the Dutch interface shows "intern"
#: and "extern", so that is what a Dutch admin types).
KIND_WORDS = {"internal": "internal", "intern": "internal",
              "external": "external", "extern": "external"}

_CHANNEL_ARG = re.compile(
    r"^<#([CG][A-Z0-9]{2,30})(?:\|([^>]{0,100}))?>$|^([CG][A-Z0-9]{2,30})$")
_PERMALINK = re.compile(r"/archives/([CG][A-Z0-9]+)/p(\d{16})")
_USER_ARG = re.compile(
    r"^<@([UW][A-Z0-9]{2,30})(?:\|([^>]{0,100}))?>$|^([UW][A-Z0-9]{2,30})$")
ON_OFF = {"on": True, "aan": True, "off": False, "uit": False}
FLAG_DAYS = (1, 365)  # what the retention of unreported flags may be set to
CASE_MONTHS = (1, 120)


@dataclass
class Reply:
    """What a slash command answers (privately, to the person who typed it)."""

    text: str


class AdminWork:
    """Admin commands and settings, mixed into :class:`bot.service.Haven`."""

    def command(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                text: str) -> Reply:
        """Answer a subcommand of ``/haven`` (``report`` opens a modal and is handled apart)."""
        _ = self.texts(gateway, user_id)
        words = (text or "").split()
        verb = words[0].lower() if words else "help"
        admin = gateway.is_admin(user_id)
        if verb == "help" or verb not in ADMIN_COMMANDS:
            prefix = "" if verb == "help" or not words else \
                _("cmd.unknown", word=blocks.escape(words[0][:30])) + " "
            return Reply(prefix + blocks.help_text(_, admin))
        if not admin:
            return Reply(_("cmd.not_admin"))
        with session_scope(self.engine) as session:
            q.note_admin(session, team_id=team_id, user_id=user_id)
        return ADMIN_COMMANDS[verb](self, gateway, _, team_id, user_id, words[1:])

    def _changed(self, team_id: str, user_id: str, key: str, value: str | None = None,
                 channel: str | None = None) -> None:
        """Apply a workspace setting (when ``value`` is given) and audit the change."""
        with session_scope(self.engine) as session:
            if value is not None:
                q.set_setting(session, team_id=team_id, key=key, value=value)
            q.audit(session, team_id=team_id, actor=user_id, action="setting_changed",
                    subject=f"{key}:{channel}" if channel else key)

    # -- channels ---------------------------------------------------------------------------
    def _watch(self, gateway, _: Texts, team_id, user_id, args) -> Reply:
        channel_id, name = _channel_arg(args)
        if channel_id is None:
            return Reply(_("cmd.which_channel", command="watch"))
        info = gateway.channel(channel_id) or {}
        name = name or info.get("name") or channel_id
        with session_scope(self.engine) as session:
            added = q.watch(session, team_id=team_id, channel_id=channel_id, name=name,
                            admin_id=user_id, is_private=bool(info.get("is_private")))
        self._changed(team_id, user_id, "watch", channel=channel_id)
        lines = [_("cmd.watching" if added else "cmd.already_watching",
                   channel=f"<#{channel_id}>")]
        if info.get("is_private") and not info.get("is_member"):
            lines.append(_("cmd.invite_private"))
        elif not info.get("is_member"):
            error = gateway.join(channel_id)
            if error:
                lines.append(_("cmd.join_failed", error=blocks.escape(error)))
        return Reply(" ".join(lines))

    def _unwatch(self, gateway, _: Texts, team_id, user_id, args) -> Reply:
        channel_id, _name = _channel_arg(args)
        if channel_id is None:
            return Reply(_("cmd.which_channel", command="unwatch"))
        with session_scope(self.engine) as session:
            removed = q.unwatch(session, team_id=team_id, channel_id=channel_id)
        self._changed(team_id, user_id, "unwatch", channel=channel_id)
        return Reply(_("cmd.unwatched" if removed else "cmd.not_watching",
                       channel=f"<#{channel_id}>"))

    def set_channel(self, *, team_id: str, user_id: str, channel_id: str,
                    threshold: float | None = ..., shadow: bool | None = None,
                    group: str | None = None) -> bool:
        """Change a watched channel's threshold (None: the workspace's), shadow mode or
        figures group; False when Haven does not watch it."""
        with session_scope(self.engine) as session:
            row = q.watched_channel(session, team_id=team_id, channel_id=channel_id)
            if row is None:
                return False
            if threshold is not ...:
                row.threshold = threshold
            if shadow is not None:
                row.shadow = shadow
            if group is not None:
                row.group = group.strip()[:60]
            session.add(row)
        for key, value in (("threshold", threshold), ("shadow", shadow), ("group", group)):
            if value is not ... and value is not None:
                self._changed(team_id, user_id, key, channel=channel_id)
        return True

    def _threshold(self, gateway, _: Texts, team_id, user_id, args) -> Reply:
        channel_id, _name = _channel_arg(args[:1])
        value = args[1] if channel_id and len(args) > 1 else (args[0] if args else "")
        threshold = _number(value)
        if threshold is None or not 0.05 <= threshold <= 0.99:
            return Reply(_("cmd.threshold_usage"))
        if channel_id:
            if not self.set_channel(team_id=team_id, user_id=user_id, channel_id=channel_id,
                                    threshold=threshold):
                return Reply(_("cmd.not_watching", channel=f"<#{channel_id}>"))
            return Reply(_("cmd.threshold_channel", channel=f"<#{channel_id}>",
                           value=_.decimal(threshold)))
        self._changed(team_id, user_id, "threshold", str(threshold))
        return Reply(_("cmd.threshold_set", value=_.decimal(threshold)))

    def _shadow(self, gateway, _: Texts, team_id, user_id, args) -> Reply:
        channel_id, _name = _channel_arg(args[:1])
        state = ON_OFF.get(args[1].lower()) if len(args) > 1 else None
        if channel_id is None or state is None:
            return Reply(_("cmd.shadow_usage"))
        if not self.set_channel(team_id=team_id, user_id=user_id, channel_id=channel_id,
                                shadow=state):
            return Reply(_("cmd.not_watching", channel=f"<#{channel_id}>"))
        return Reply(_("cmd.shadow_on" if state else "cmd.shadow_off",
                       channel=f"<#{channel_id}>"))

    def _group(self, gateway, _: Texts, team_id, user_id, args) -> Reply:
        channel_id, _name = _channel_arg(args[:1])
        label = " ".join(args[1:]).strip()
        if channel_id is None or not label:
            return Reply(_("cmd.group_usage"))
        if not self.set_channel(team_id=team_id, user_id=user_id, channel_id=channel_id,
                                group=label):
            return Reply(_("cmd.not_watching", channel=f"<#{channel_id}>"))
        return Reply(_("cmd.group_set", channel=f"<#{channel_id}>",
                       group=blocks.escape(label[:60])))

    # -- workspace settings -----------------------------------------------------------------
    def _categories(self, gateway, _: Texts, team_id, user_id, args) -> Reply:
        chosen = set(blocks.CATEGORIES) if [a.lower() for a in args] == ["all"] else \
            {a.lower().strip(",") for a in args}
        if not chosen or not chosen <= set(blocks.CATEGORIES):
            return Reply(_("cmd.categories_usage", all=" ".join(blocks.CATEGORIES)))
        value = ",".join(c for c in blocks.CATEGORIES if c in chosen)
        self._changed(team_id, user_id, "alert_categories", value)
        return Reply(_("cmd.categories_set", categories=", ".join(
            _("category." + c) for c in value.split(","))))

    def _nudge(self, gateway, _: Texts, team_id, user_id, args) -> Reply:
        state = ON_OFF.get(args[0].lower()) if args else None
        if state is None:
            return Reply(_("cmd.nudge_usage"))
        self._changed(team_id, user_id, "nudge", "on" if state else "off")
        return Reply(_("cmd.nudge_on" if state else "cmd.nudge_off"))

    def _retention(self, gateway, _: Texts, team_id, user_id, args) -> Reply:
        what = args[0].lower() if args else ""
        amount = _number(args[1]) if len(args) > 1 else None
        bounds = {"flags": FLAG_DAYS, "cases": CASE_MONTHS}.get(what)
        if bounds is None or amount is None or amount != int(amount) or \
                not bounds[0] <= amount <= bounds[1]:
            return Reply(_("cmd.retention_usage"))
        key = "flag_retention_days" if what == "flags" else "case_retention_months"
        self._changed(team_id, user_id, key, str(int(amount)))
        return Reply(_("cmd.retention_" + what, count=int(amount)))

    def _language(self, gateway, _: Texts, team_id, user_id, args) -> Reply:
        language = args[0].lower() if args else ""
        if language not in LANGUAGES:
            return Reply(_("cmd.language_usage"))
        self._changed(team_id, user_id, "language", language)
        return Reply(Texts(language)("cmd.language_set"))

    # -- the roster -------------------------------------------------------------------------
    def set_confidant(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                      person: str, kind: str | None = None,
                      description: str | None = None) -> bool:
        """Add a confidant or update their label and description; True when added."""
        with session_scope(self.engine) as session:
            added = q.add_confidant(session, team_id=team_id, user_id=person,
                                    name=gateway.name(person) or person, kind=kind,
                                    description=description)
        self._changed(team_id, user_id, "confidant_added" if added else "confidant_updated")
        return added

    def drop_confidant(self, *, team_id: str, user_id: str, person: str) -> bool:
        """Take a confidant off the roster (their cases stay theirs)."""
        with session_scope(self.engine) as session:
            removed = q.remove_confidant(session, team_id=team_id, user_id=person)
        self._changed(team_id, user_id, "confidant_removed")
        return removed

    def _confidant(self, gateway, _: Texts, team_id, user_id, args) -> Reply:
        action = args[0].lower() if args else ""
        person, _name = _user_arg(args[1:2])
        if action not in {"add", "remove", "describe"} or person is None:
            return Reply(_("cmd.confidant_usage"))
        if action == "remove":
            removed = self.drop_confidant(team_id=team_id, user_id=user_id, person=person)
            return Reply(_("cmd.confidant_removed" if removed else "cmd.confidant_not",
                           person=f"<@{person}>"))
        rest = args[2:]
        kind = KIND_WORDS.get(rest[0].lower()) if rest else None
        description = " ".join(rest[1:] if kind else rest).strip() or None
        added = self.set_confidant(gateway=gateway, team_id=team_id, user_id=user_id,
                                   person=person, kind=kind, description=description)
        return Reply(_("cmd.confidant_added" if added else "cmd.confidant_updated",
                       person=f"<@{person}>"))

    # -- the App Home's settings modals ------------------------------------------------------
    def open_settings(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                      trigger_id: str, what: str = "settings", target: str | None = None
                      ) -> bool:
        """Open an admin modal: workspace ``settings``, a ``channel`` or a ``roster`` entry
        (``target`` is the channel or person; none for a new confidant)."""
        if not gateway.is_admin(user_id):
            return False
        from bot import home

        _ = self.texts(gateway, user_id)
        with session_scope(self.engine) as session:
            default = self.threshold(session, team_id=team_id, channel_threshold=None)
            channel = q.watched_channel(session, team_id=team_id, channel_id=target or "")
            person = next((c for c in q.confidants(session, team_id=team_id)
                           if c.user_id == target), None)
        if what == "watch":
            view = home.channel_modal(_, channel_id=None)
        elif what == "channel":
            if channel is None:
                return False
            view = home.channel_modal(_, channel_id=channel.channel_id, shadow=channel.shadow,
                                      threshold=channel.threshold, group=channel.group)
        elif what == "roster":
            view = home.roster_modal(_, entry=person and blocks.RosterEntry(
                person.user_id, person.name, person.kind, person.description))
        else:
            alert = self.setting(team_id, "alert_categories", ",".join(blocks.CATEGORIES))
            view = home.settings_modal(
                _, threshold=default, categories=alert.split(","),
                nudge=self.setting(team_id, "nudge") == "on",
                flag_days=self.setting(team_id, "flag_retention_days", "30"),
                case_months=self.setting(team_id, "case_retention_months", "12"),
                language=self.setting(team_id, "language", "en"))
        return self._open(gateway, trigger_id, view)

    def save_settings(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                      threshold: str, categories: list[str], nudge: str | None,
                      flag_days: str, case_months: str, language: str | None
                      ) -> dict[str, str] | None:
        """Apply the settings modal; errors by field, or None when saved."""
        from bot import home

        _ = self.texts(gateway, user_id)
        if not gateway.is_admin(user_id):
            return {home.S_THRESHOLD: _("home.not_admin")}
        errors = _check(_, {home.S_THRESHOLD: (threshold, 0.05, 0.99, "home.error_threshold"),
                            home.S_FLAG_DAYS: (flag_days, *FLAG_DAYS, "home.error_days"),
                            home.S_CASE_MONTHS: (case_months, *CASE_MONTHS,
                                                 "home.error_months")})
        if errors:
            return errors
        chosen = [c for c in blocks.CATEGORIES if c in categories]
        for key, value in (("threshold", str(_number(threshold))),
                           ("alert_categories", ",".join(chosen)),
                           ("nudge", "on" if nudge == "on" else "off"),
                           ("flag_retention_days", str(int(_number(flag_days)))),
                           ("case_retention_months", str(int(_number(case_months)))),
                           ("language", language if language in LANGUAGES else "en")):
            if self.setting(team_id, key, "") != value:
                self._changed(team_id, user_id, key, value)
        return None

    def save_channel(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                     channel_id: str, threshold: str | None, shadow: str | None,
                     group: str | None) -> dict[str, str] | None:
        """Apply the channel modal; errors by field, or None when saved."""
        from bot import home

        _ = self.texts(gateway, user_id)
        if not gateway.is_admin(user_id):
            return {home.C_GROUP: _("home.not_admin")}
        errors = _check(_, {home.C_THRESHOLD: (threshold, 0.05, 0.99, "home.error_threshold")}
                        ) if threshold else None
        if errors:
            return errors
        with session_scope(self.engine) as session:
            new = q.watched_channel(session, team_id=team_id, channel_id=channel_id) is None
        if new:  # watched from the Home tab: joined, or the admin is told to invite Haven
            reply = self._watch(gateway, _, team_id, user_id, [channel_id])
            self.jobs.submit(gateway.send_dm, user_id, reply.text, [])
        self.set_channel(team_id=team_id, user_id=user_id, channel_id=channel_id,
                         threshold=_number(threshold) if threshold else None,
                         shadow=shadow == "on", group=group or "")
        return None

    def save_roster(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                    person: str | None, kind: str | None, description: str | None
                    ) -> dict[str, str] | None:
        """Apply the confidant modal; errors by field, or None when saved."""
        from bot import home

        _ = self.texts(gateway, user_id)
        if not gateway.is_admin(user_id) or not person:
            return {home.R_KIND: _("home.not_admin")}
        self.set_confidant(gateway=gateway, team_id=team_id, user_id=user_id, person=person,
                           kind=kind if kind in {"internal", "external"} else "internal",
                           description=description or "")
        return None

    def unwatch_from_home(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                          target: str, view_id: str | None) -> bool:
        """*Stop watching* in a channel's modal: off the watch list, and the modal says so."""
        if not gateway.is_admin(user_id):
            return False
        _ = self.texts(gateway, user_id)
        reply = self._unwatch(gateway, _, team_id, user_id, [target])
        gateway.replace_view(view_id, blocks.modal_message(_, title=_("home.channel_title"),
                                                           text=reply.text))
        return True

    def remove_from_roster(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                           target: str, view_id: str | None) -> bool:
        """The *Remove* button in a confidant's modal: off the roster, and the modal says so
        (with nothing left to submit)."""
        if not gateway.is_admin(user_id):
            return False
        removed = self.drop_confidant(team_id=team_id, user_id=user_id, person=target)
        _ = self.texts(gateway, user_id)
        said = _("cmd.confidant_removed" if removed else "cmd.confidant_not",
                 person=f"<@{target}>")
        gateway.replace_view(view_id, blocks.modal_message(_, title=_("home.roster_title"),
                                                           text=said))
        return removed

    # -- figures ----------------------------------------------------------------------------
    def _status(self, gateway, _: Texts, team_id, user_id, args) -> Reply:
        with session_scope(self.engine) as session:
            channels = q.watched_channels(session, team_id=team_id)
            roster = q.confidants(session, team_id=team_id)
            default = self.threshold(session, team_id=team_id, channel_threshold=None)
            waiting, given_up = q.undelivered_notices(session, team_id=team_id)
            retractions = q.pending_retractions(session, team_id=team_id)
        watched = ", ".join(_channel_summary(_, c) for c in channels) or _("cmd.none_yet")
        people = ", ".join(f"<@{c.user_id}> ({_('roster.' + c.kind)})" for c in roster) \
            or _("cmd.none_yet")
        text = _("cmd.status", channels=watched, confidants=people, threshold=_.decimal(default),
                 settings=self.settings_summary(_, team_id))
        if waiting or given_up or retractions:  # Slack was unreachable: what is still owed
            text += "\n" + _("cmd.delivery", waiting=waiting, given_up=given_up,
                             retractions=retractions)
        return Reply(text)

    def settings_summary(self, _: Texts, team_id: str) -> str:
        """Categories, nudge, retention and language, as one line of mrkdwn."""
        alert = self.setting(team_id, "alert_categories", ",".join(blocks.CATEGORIES))
        return _("cmd.settings_line",
                 categories=", ".join(_("category." + c) for c in alert.split(",") if c),
                 nudge=_("cmd.on" if self.setting(team_id, "nudge") == "on" else "cmd.off"),
                 flag_days=self.setting(team_id, "flag_retention_days", "30"),
                 case_months=self.setting(team_id, "case_retention_months", "12"),
                 language=_("home.language_" + self._workspace_language(team_id)))

    def _workspace_language(self, team_id: str) -> str:
        language = self.setting(team_id, "language", "en")
        return language if language in LANGUAGES else "en"

    def _stats(self, gateway, _: Texts, team_id, user_id, args) -> Reply:
        from bot.figures import stats_text

        with session_scope(self.engine) as session:
            text = stats_text(session, team_id=team_id, language=_.language)
            q.audit(session, team_id=team_id, actor=user_id, action="figures_viewed",
                    subject="stats")
        return Reply(text)

    # -- known images -------------------------------------------------------------------------
    def _image(self, gateway, _: Texts, team_id, user_id, args) -> Reply:
        """``/haven image block <link to a message>``: its images become known offensive."""
        link = args[1].strip("<>").split("|")[0] if len(args) > 1 else ""
        found = _PERMALINK.search(link)
        if not args or args[0].lower() != "block" or not found:
            return Reply(_("cmd.image_usage"))
        channel, ts = found.group(1), f"{found.group(2)[:10]}.{found.group(2)[10:]}"
        try:
            history = gateway.client.conversations_history(channel=channel, latest=ts,
                                                           inclusive=True, limit=1)
        except SlackApiError as error:
            return Reply(_("cmd.image_unreadable",
                           error=blocks.escape(str(error.response.get("error")))))
        messages = history.get("messages") or []
        if not messages or messages[0].get("ts") != ts:
            return Reply(_("cmd.image_not_found"))
        return self.block_images(gateway=gateway, team_id=team_id, user_id=user_id,
                                 message=messages[0])

    def block_images(self, *, gateway: SlackGateway, team_id: str, user_id: str,
                     message: dict) -> Reply:
        """Register the images of a message as known offensive images (admins only)."""
        _ = self.texts(gateway, user_id)
        if not gateway.is_admin(user_id):
            return Reply(_("cmd.image_not_admin"))
        files = message.get("files") if isinstance(message.get("files"), list) else []
        added = 0
        for entry in files:
            if not is_image_entry(entry):
                continue
            try:
                shared = fetch_image(gateway.client, gateway.client.token or "", entry["id"])
                print_ = fingerprint(shared.data, self.dictionary)
            except ImageRejected as reason:
                log.info("file %s not registered: %s", entry["id"], reason)
                continue
            with session_scope(self.engine) as session:
                q.add_known_image(session, team_id=team_id, hashes=print_.hashes,
                                  words=print_.words, label=shared.name, added_by=user_id,
                                  layout=encode_layout(print_.layout))
                q.note_admin(session, team_id=team_id, user_id=user_id)
                q.record_example(session, vault=self.vault, team_id=team_id, source="admin",
                                 label="harassing", language="", categories="",
                                 text=" ".join(sorted(print_.words)) or None)
            self._changed(team_id, user_id, "known_image_added")
            added += 1
        if not added:
            return Reply(_("cmd.image_none"))
        return Reply(_("cmd.image_added", count=added))


ADMIN_COMMANDS = {
    "watch": AdminWork._watch, "unwatch": AdminWork._unwatch,
    "confidant": AdminWork._confidant, "threshold": AdminWork._threshold,
    "shadow": AdminWork._shadow, "group": AdminWork._group,
    "categories": AdminWork._categories, "nudge": AdminWork._nudge,
    "retention": AdminWork._retention, "language": AdminWork._language,
    "status": AdminWork._status, "stats": AdminWork._stats, "image": AdminWork._image,
}


def _channel_summary(_: Texts, channel) -> str:
    parts = [_.decimal(channel.threshold)] if channel.threshold else []
    if channel.shadow:
        parts.append(_("cmd.shadow_tag"))
    if channel.group:
        parts.append(blocks.escape(channel.group))
    return f"<#{channel.channel_id}>" + (f" ({', '.join(parts)})" if parts else "")


def _check(_: Texts, fields: dict) -> dict[str, str] | None:
    """Errors for number fields outside their bounds: {block id: message}."""
    errors = {}
    for block, (value, low, high, message) in fields.items():
        number = _number(value or "")
        whole = isinstance(low, int) and isinstance(high, int)
        if number is None or not low <= number <= high or (whole and number != int(number)):
            errors[block] = _(message)
    return errors or None


def _number(value: str) -> float | None:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return None
    # NaN and infinity are no numbers (int(inf) raises OverflowError)
    return number if math.isfinite(number) else None


def _channel_arg(args: list[str]) -> tuple[str | None, str | None]:
    match = _CHANNEL_ARG.match(args[0]) if args else None
    if not match:
        return None, None
    return match.group(1) or match.group(3), match.group(2) or None


def _user_arg(args: list[str]) -> tuple[str | None, str | None]:
    match = _USER_ARG.match(args[0]) if args else None
    if not match:
        return None, None
    return match.group(1) or match.group(3), match.group(2) or None
