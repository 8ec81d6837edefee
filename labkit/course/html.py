"""Small HTML pages for the grader's reports: everything a submission wrote is escaped."""
from __future__ import annotations

import html
import re

__all__ = ["page", "pre", "outputs_html"]

STYLE = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
         "pre{white-space:pre-wrap;background:#f6f6f6;padding:.6em;border-radius:4px}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}"
         ".fail{color:#a00}.pass{color:#070}section{border-top:2px solid #ddd;margin-top:1.5em}")
BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")


def page(title: str, body: str) -> str:
    """A whole HTML page; ``body`` must already be escaped."""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n")


def pre(text: str) -> str:
    """Text shown as it is, escaped.

    >>> pre("<script>")
    '<pre>&lt;script&gt;</pre>'
    """
    return f"<pre>{html.escape(text)}</pre>"


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def outputs_html(cell: dict) -> str:
    """A code cell's saved outputs: text, plain-text results, PNG images and errors (no HTML
    or JavaScript of the submission's is ever shown as such)."""
    parts = []
    for output in cell.get("outputs", []) if isinstance(cell.get("outputs"), list) else []:
        if not isinstance(output, dict):
            continue
        kind, data = output.get("output_type"), output.get("data") or {}
        if kind == "stream" and output.get("name") == "stdout":
            parts.append(pre(_text(output.get("text", ""))))
        elif kind == "error":
            parts.append(pre(f"{output.get('ename', '')}: {output.get('evalue', '')}"))
        elif isinstance(data, dict) and isinstance(data.get("image/png"), (str, list)) \
                and BASE64.match(_text(data["image/png"])):
            parts.append(f"<img alt='figure' style='max-width:100%' src='data:image/png;base64,"
                         f"{_text(data['image/png']).strip()}'>")
        elif isinstance(data, dict) and "text/plain" in data:
            parts.append(pre(_text(data["text/plain"])))
    return "\n".join(parts)
