"""Telling people: mail over SMTP and JSON webhooks, one message per rule and pass.

A pass that fires a rule for thirty customers sends one mail listing thirty alerts, not
thirty mails. The mail server comes from the ``ERM_SMTP_*`` settings (host, port, TLS mode,
user and password from the environment, never from a rule file); the password is never
logged or echoed, and a failure names the server and the SMTP answer only.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from erm_graph.errors import ErmError
from erm_graph.settings import Settings

#: seconds a mail server or webhook may take before the delivery counts as failed
TIMEOUT = 15.0


class DeliveryError(ErmError):
    kind = "delivery"


def is_webhook(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def send(target: str, title: str, found: list[dict[str, Any]], settings: Settings) -> None:
    """Deliver the alerts ``found`` of one rule to ``target`` (a mail address or a webhook
    URL), or raise :class:`DeliveryError` saying why not."""
    if is_webhook(target):
        _post(target, {"rule_title": title, "alerts": found})
    else:
        _mail(target, title, found, settings)


def _mail(to: str, title: str, found: list[dict[str, Any]], settings: Settings) -> None:
    if not settings.smtp_host:
        raise DeliveryError(f"no mail server: set ERM_SMTP_HOST to send alerts to {to}")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    first = found[0]["message"]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    message["Subject"] = f"[erm-graph] {title}: {first}{more}"[:250]
    lines = [f"{title}: {len(found)} new alert{'s' * (len(found) != 1)}", ""]
    lines += [f"- {a['message']}  (fired {a['fired_at']})" for a in found]
    lines += ["", "Open the inbox of erm-graph (/inbox) to read and follow them up."]
    message.set_content("\n".join(lines))
    server = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        if settings.smtp_tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=TIMEOUT,
                context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT)
        with client:
            if settings.smtp_tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password.reveal())
            client.send_message(message)
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"mail to {to} through {server} failed: "
                            f"{type(exc).__name__}") from None
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"mail to {to}: cannot reach {server}: "
                            f"{exc.strerror or type(exc).__name__}") from None


def shown(target: str) -> str:
    """A target as it may be printed: a webhook's path and query often hold its secret."""
    if not is_webhook(target):
        return target
    parts = urlsplit(target)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/…"


def _post(url: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(url, data=json.dumps(body, default=str).encode(),
                                     method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "erm-graph-watch"})
    try:
        # the URL comes from an admin's rule file (http or https only, checked when read)
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
            answer.read(1024)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"webhook {shown(url)} answered {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise DeliveryError(f"webhook {shown(url)} failed: "
                            f"{getattr(exc, 'reason', type(exc).__name__)}") from None
