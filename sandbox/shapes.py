# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Convert data between boto3's shape and the wire shape, driven by botocore's service models.

boto3 users see member names (``Id``, ``Resource``, ``S3BucketDetails``); a REST-JSON service such as
GuardDuty puts each member on the wire under its ``locationName`` (``id``, ``resource``,
``s3BucketDetails``) and writes timestamps in the format of the shape (epoch seconds unless the model
says otherwise). Instead of guessing camelCase from PascalCase, :func:`to_wire` walks the botocore
shape, accepts either spelling of each member, type-checks the value, and writes the wire spelling.

The same walk serialises the sandbox's own responses (CloudTrail JSON 1.1, Detective REST-JSON, IAM
query XML), so every emulated API produces exactly what botocore's parser expects.
"""

from __future__ import annotations

import email.utils
import functools
import xml.etree.ElementTree as ET
from datetime import datetime
from datetime import timezone
from typing import Any

import botocore.session


class ShapeError(ValueError):
    """A value does not fit its botocore shape; ``path`` names the offending member (wire spelling)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.detail = message


@functools.cache
def service_model(service: str) -> Any:
    """The botocore ``ServiceModel`` of ``service`` (cached: loading a model costs milliseconds)."""
    return botocore.session.get_session().get_service_model(service)


def operation_model(service: str, operation: str) -> Any:
    return service_model(service).operation_model(operation)


def shape(service: str, name: str) -> Any:
    return service_model(service).shape_for(name)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def wire_name(member_name: str, member_shape: Any) -> str:
    """The key a member has on the wire (its ``locationName`` if the model gives one)."""
    return member_shape.serialization.get("name", member_name)


def _default_timestamp_format(protocol: str) -> str:
    return "iso8601" if protocol in ("query", "ec2", "rest-xml") else "unixtimestamp"


def parse_timestamp(value: Any) -> datetime:
    """Read a timestamp given as ``datetime``, epoch seconds/milliseconds or an ISO-8601 / RFC 822 string."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, bool):
        raise ValueError("a boolean is not a timestamp")
    if isinstance(value, (int, float)):
        seconds = value / 1000.0 if value > 1e11 else float(value)
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    if isinstance(value, str):
        text = value.strip()
        try:
            return parse_timestamp(float(text))
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                parsed = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError):
                raise ValueError(f"{value!r} is not a timestamp") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    raise ValueError(f"{value!r} is not a timestamp")


def iso8601(value: datetime) -> str:
    """``2026-11-01T10:00:00.000Z``: the millisecond ISO form AWS uses in JSON bodies."""
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def format_timestamp(value: Any, fmt: str) -> Any:
    moment = parse_timestamp(value)
    fmt = fmt.lower()
    if fmt == "unixtimestamp":
        seconds = moment.timestamp()
        return int(seconds) if seconds == int(seconds) else round(seconds, 3)
    if fmt == "rfc822":
        return email.utils.format_datetime(moment.astimezone(timezone.utc), usegmt=True)
    return iso8601(moment)


def _type_error(path: str, expected: str, value: Any) -> ShapeError:
    return ShapeError(path, f"expected {expected}, got {type(value).__name__} {value!r:.60}")


def to_wire(shp: Any, value: Any, *, protocol: str | None = None, path: str = "") -> Any:
    """Return ``value`` (boto3 or wire spelling, or a mix) in the wire shape of ``shp``.

    Members are written under their ``locationName``; timestamps in the shape's wire format; keys the
    model does not know are kept as they are (newer AWS fields survive a round trip). A value of the
    wrong type raises :class:`ShapeError` naming its path in wire spelling.
    """
    protocol = protocol or "rest-json"
    kind = shp.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise _type_error(path, "an object", value)
        accepted: dict[str, tuple[str, Any]] = {}
        for name, member in shp.members.items():
            if member.serialization.get("location") in ("uri", "querystring", "header", "headers"):
                continue
            target = wire_name(name, member)
            accepted[name] = (target, member)
            accepted.setdefault(target, (target, member))
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in accepted:
                target, member = accepted[key]
                if item is None:
                    continue
                out[target] = to_wire(member, item, protocol=protocol, path=_join(path, target))
            else:
                out[key] = item
        return out
    if kind == "list":
        if not isinstance(value, (list, tuple)):
            raise _type_error(path, "a list", value)
        return [to_wire(shp.member, item, protocol=protocol, path=f"{path}[{i}]") for i, item in enumerate(value)]
    if kind == "map":
        if not isinstance(value, dict):
            raise _type_error(path, "an object", value)
        return {
            str(k): to_wire(shp.value, item, protocol=protocol, path=_join(path, str(k))) for k, item in value.items()
        }
    if kind == "timestamp":
        fmt = shp.serialization.get("timestampFormat") or _default_timestamp_format(protocol)
        try:
            return format_timestamp(value, fmt)
        except ValueError as exc:
            raise ShapeError(path, str(exc)) from None
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise _type_error(path, "an integer", value)
        return value
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(path, "a number", value)
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _type_error(path, "true or false", value)
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise _type_error(path, "a string", value)
        return value
    return value


def missing_required(shp: Any, wire_value: Any, path: str = "") -> str | None:
    """Path (wire spelling) of the first required member absent from ``wire_value``, or ``None``."""
    kind = shp.type_name
    if kind == "structure" and isinstance(wire_value, dict):
        for name in shp.required_members:
            member = shp.members[name]
            if member.serialization.get("location"):
                continue
            if wire_value.get(wire_name(name, member)) is None:
                return _join(path, wire_name(name, member))
        for name, member in shp.members.items():
            key = wire_name(name, member)
            if key in wire_value:
                found = missing_required(member, wire_value[key], _join(path, key))
                if found:
                    return found
    elif kind == "list" and isinstance(wire_value, list):
        for i, item in enumerate(wire_value):
            found = missing_required(shp.member, item, f"{path}[{i}]")
            if found:
                return found
    return None


def json_body(service: str, operation: str, result: dict[str, Any]) -> dict[str, Any]:
    """Serialise an operation's output (boto3 spelling, datetimes allowed) to its JSON wire body."""
    model = service_model(service)
    out_shape = model.operation_model(operation).output_shape
    if out_shape is None:
        return {}
    return to_wire(out_shape, result, protocol=model.protocol)


def _xml_scalar(shp: Any, value: Any) -> str:
    if shp.type_name == "boolean":
        return "true" if value else "false"
    if shp.type_name == "timestamp":
        return format_timestamp(value, shp.serialization.get("timestampFormat") or "iso8601")
    return str(value)


def _xml_fill(parent: ET.Element, shp: Any, value: Any) -> None:
    kind = shp.type_name
    if kind == "structure":
        for name, member in shp.members.items():
            if name in value and value[name] is not None:
                _xml_member(parent, wire_name(name, member), member, value[name])
    elif kind == "list":
        for item in value:
            _xml_member(parent, shp.member.serialization.get("name", "member"), shp.member, item)
    elif kind == "map":
        for key, item in value.items():
            entry = ET.SubElement(parent, "entry")
            ET.SubElement(entry, "key").text = str(key)
            _xml_member(entry, "value", shp.value, item)
    else:
        parent.text = _xml_scalar(shp, value)


def _xml_member(parent: ET.Element, tag: str, shp: Any, value: Any) -> None:
    if shp.type_name == "list" and shp.serialization.get("flattened"):
        for item in value:
            _xml_member(parent, tag, shp.member, item)
        return
    _xml_fill(ET.SubElement(parent, tag), shp, value)


def query_xml(service: str, operation: str, result: dict[str, Any], request_id: str) -> bytes:
    """Serialise an operation's output (boto3 spelling) to the query protocol's XML response."""
    model = service_model(service)
    op = model.operation_model(operation)
    xmlns = (
        model.metadata.get("xmlNamespace") or f"https://{model.endpoint_prefix}.amazonaws.com/doc/{model.api_version}/"
    )
    root = ET.Element(f"{operation}Response", xmlns=xmlns)
    if op.output_shape is not None:
        wrapper = op.output_shape.serialization.get("resultWrapper") or f"{operation}Result"
        _xml_fill(ET.SubElement(root, wrapper), op.output_shape, result)
    meta = ET.SubElement(root, "ResponseMetadata")
    ET.SubElement(meta, "RequestId").text = request_id
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def query_error_xml(code: str, message: str, request_id: str, *, sender: bool = True) -> bytes:
    root = ET.Element("ErrorResponse", xmlns="https://iam.amazonaws.com/doc/2010-05-08/")
    err = ET.SubElement(root, "Error")
    ET.SubElement(err, "Type").text = "Sender" if sender else "Receiver"
    ET.SubElement(err, "Code").text = code
    ET.SubElement(err, "Message").text = message
    ET.SubElement(root, "RequestId").text = request_id
    return ET.tostring(root, encoding="utf-8")
