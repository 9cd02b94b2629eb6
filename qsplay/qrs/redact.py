"""Secrets out of QRS responses before anything is written: the licence's key, LEF, serial and
control number; passwords, client secrets and tokens in any record (data connections, user
directory connector settings, virtual proxies' OIDC client secret); and the credentials inside
connection strings (`Password=…;`, `https://user:pass@host`, `?token=…`).

Only string values are replaced (counts such as `allocatedTokens` stay); what was replaced is
listed by place, never by value, so the pull's manifest can say what is not stored.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

REDACTED = "<redacted by qsplay pull>"

# the licence record's secret fields (../shared/reference/qrs-live-site.md §2.3: "treat key/lef as secrets")
LICENCE_FIELDS = ("key", "lef", "serial", "check", "controlNumber", "signedKey")
_SECRET_NAME = re.compile(r"(pass(word)?|pwd|secret|token|api_?key|private_?key|access_?key|account_?key|"
                          r"credential|signature)$|^(pass(word)?|pwd)", re.I)
_CONN_PAIR = re.compile(r"(?P<k>[\w .-]*?(?:pass(?:word)?|pwd|secret|token|api_?key|access_?key|account_?key|"
                        r"shared_?access_?key|client_?secret|credential)[\w .-]*?)\s*=\s*(?P<v>\{[^}]*\}|\"[^\"]*\"|[^;&]*)",
                        re.I)
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][\w+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@", re.I)
_KEY_DETAIL_LINE = re.compile(r"serial|control|check|lef|key|signature|token", re.I)


def redact(name: str, data: Any) -> tuple[Any, list[str]]:
    """`data` (one endpoint's response) with secrets replaced, and the places replaced."""
    places: list[str] = []
    if name == "license" and isinstance(data, dict):
        data = dict(data)
        for field in LICENCE_FIELDS:
            if isinstance(data.get(field), str) and data[field]:
                data[field] = REDACTED
                places.append(f"{name}.{field}")
        if isinstance(data.get("keyDetails"), str):
            lines = data["keyDetails"].splitlines()
            kept = [line for line in lines if not _KEY_DETAIL_LINE.search(line.partition(":")[0])]
            if len(kept) != len(lines):
                data["keyDetails"] = "\n".join(kept)
                places.append(f"{name}.keyDetails ({len(lines) - len(kept)} line(s))")
    return _walk(data, name, places), places


def redact_connection_string(text: str) -> str:
    text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", text)
    return _CONN_PAIR.sub(lambda m: f"{m['k']}={REDACTED}" if m["v"].strip() else m[0], text)


@lru_cache(maxsize=4096)
def _secret_name(name: str) -> bool:
    return _SECRET_NAME.search(name) is not None


def _walk(value: Any, where: str, places: list[str]) -> Any:
    if isinstance(value, list):
        return [_walk(v, f"{where}[{i}]", places) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    out = {}
    secret_setting = value.get("secret") is True or _secret_name(str(value.get("name", "")))
    for key, item in value.items():
        here = f"{where}.{key}"
        if isinstance(item, str) and item:
            if key.lower() == "connectionstring":
                cleaned = redact_connection_string(item)
                if cleaned != item or REDACTED in item:
                    places.append(here)
                out[key] = cleaned
                continue
            if _secret_name(key) or (key == "value" and "name" in value and secret_setting):
                out[key] = REDACTED
                places.append(here)
                continue
        out[key] = _walk(item, here, places)
    return out


__all__ = ["redact", "redact_connection_string", "REDACTED"]
