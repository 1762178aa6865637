"""Message templates: one per kind and channel, Jinja2, overridable from a folder.

Layout (the same relative paths in ``OMNIALLOC_TEMPLATES_DIR`` override ours):

    email/<kind>.subject   one line, UTF-8
    email/<kind>.txt       plain-text body
    email/<kind>.html      HTML body (autoescaped)
    sms/<kind>.txt         at most 160 GSM-7 units once rendered

Undefined variables are errors (``StrictUndefined``): a typo in an override
fails loudly as a permanent delivery error instead of sending a blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from omnialloc.domain.money_words import format_rupees
from omnialloc.domain.money_words import group_indian as indian_grouping  # the "indian" template filter
from omnialloc.notify.catalog import Channel
from omnialloc.notify.gsm import fit_sms

BUILTIN_DIR = Path(__file__).parent / "templates"


class TemplateProblem(Exception):
    """A template is missing or does not render with the given context."""


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    text: str
    html: str | None = None


def rupees(paise: int | None, symbol: str = "₹") -> str:
    """Paise as rupees with Indian grouping: 12345678 -> '₹1,23,456.78'."""
    return "" if paise is None else format_rupees(int(paise), symbol=symbol)


def rupees_sms(paise: int | None) -> str:
    """The same in GSM-7 (no ₹ sign): 'Rs.1,23,456.78'."""
    return rupees(paise, "Rs.")


def clip(value: object, width: int) -> str:
    """Cut ``value`` to ``width`` characters, marking the cut with '..'."""
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: max(0, width - 2)] + ".."


class Templates:
    """Renders messages from the built-in templates, overridden by files in ``override_dir``."""

    def __init__(self, override_dir: str | Path | None = None):
        loaders: list[jinja2.BaseLoader] = []
        if override_dir:
            loaders.append(jinja2.FileSystemLoader(str(override_dir)))
        loaders.append(jinja2.FileSystemLoader(str(BUILTIN_DIR)))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False,
                                                default=False),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(rupees=rupees, rupees_sms=rupees_sms, clip=clip, indian=indian_grouping)

    def _render(self, name: str, context: dict[str, Any]) -> str:
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(f"template {exc.name} not found") from exc
        except jinja2.TemplateError as exc:
            raise TemplateProblem(f"template {name}: {exc}") from exc

    def render(self, kind: str, channel: str, context: dict[str, Any]) -> Rendered:
        """Subject, text and HTML for email; the fitted GSM-7 text for SMS."""
        if channel == Channel.EMAIL:
            subject = " ".join(self._render(f"email/{kind}.subject", context).split())
            return Rendered(subject=subject, text=self._render(f"email/{kind}.txt", context).strip() + "\n",
                            html=self._render(f"email/{kind}.html", context))
        if channel == Channel.SMS:
            return Rendered(subject=None, text=fit_sms(self._render(f"sms/{kind}.txt", context)))
        raise TemplateProblem(f"unknown channel {channel!r}")

    def render_raw_sms(self, kind: str, context: dict[str, Any]) -> str:
        """The SMS exactly as the template writes it (no fitting): what the length test checks."""
        return " ".join(self._render(f"sms/{kind}.txt", context).split())
