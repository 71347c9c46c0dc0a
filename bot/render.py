"""Block Kit as readable text: what a person would see, for tests and `haven demo`."""

from __future__ import annotations

import re

_USER = re.compile(r"<@([UW][A-Z0-9]+)>")
_CHANNEL = re.compile(r"<#(C[A-Z0-9]+)(?:\|([^>]*))?>")
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")


def mrkdwn(text: str, names: dict[str, str] | None = None) -> str:
    """Slack mrkdwn as a person reads it: mentions by name, links as 'label [url]'."""
    names = names or {}
    text = _USER.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or names.get(m.group(1), m.group(1))), text)
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} [{m.group(1)}]", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: dict | str | None, names) -> str:
    if obj is None:
        return ""
    if isinstance(obj, str):
        return obj
    return mrkdwn(obj.get("text", ""), names) if obj.get("type") == "mrkdwn" else obj["text"]


def _element(element: dict, names) -> str:
    kind = element.get("type")
    if kind == "button":
        return f"[ {_text(element.get('text'), names)} ]"
    if kind == "overflow":
        return "[ ⋯ " + " | ".join(_text(o["text"], names) for o in element["options"]) + " ]"
    if kind in {"static_select", "external_select"}:
        options = " | ".join(_text(o["text"], names) for o in element.get("options", []))
        return f"<select: {options}>"
    if kind == "plain_text_input":
        return "<text box>" if not element.get("multiline") else "<text area>"
    if kind in {"checkboxes", "radio_buttons"}:
        return " ".join(f"[ ] {_text(o['text'], names)}" for o in element.get("options", []))
    return _text(element, names) if "text" in element else f"<{kind}>"


def blocks(items: list[dict], names: dict[str, str] | None = None) -> str:
    """A list of blocks as lines of text."""
    lines = []
    for block in items:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"## {_text(block['text'], names)}")
        elif kind == "section":
            if block.get("text"):
                lines.append(_text(block["text"], names))
            if block.get("accessory"):
                lines.append("    " + _element(block["accessory"], names))
            for field in block.get("fields", []):
                lines.append("  " + _text(field, names).replace("\n", ": ", 1))
        elif kind == "actions":
            lines.append("  ".join(_element(e, names) for e in block["elements"]))
        elif kind == "context":
            lines.append("  ".join(_text(e, names) for e in block["elements"]))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "input":
            optional = " (optional)" if block.get("optional") else ""
            lines.append(f"{_text(block['label'], names)}{optional}: "
                         f"{_element(block['element'], names)}")
    return "\n".join(lines)


def view(payload: dict, names: dict[str, str] | None = None) -> str:
    """A modal or the Home tab as text: its title, blocks and buttons."""
    buttons = [f"[ {_text(payload[k], names)} ]" for k in ("close", "submit") if payload.get(k)]
    title = _text(payload["title"], names) if payload.get("title") else "Home"
    return "\n".join([f"# {title}", blocks(payload["blocks"], names), "  ".join(buttons)])
