# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

# GuardDuty finding normalisation and FindingCriteria building (pure Python, no Ansible imports).
#
# Public interface
# ----------------
# ``normalize_finding(finding) -> dict``
#     One finding in any of the shapes GuardDuty hands out -- boto3 ``GetFindings`` (PascalCase), the REST wire /
#     EventBridge ``detail`` (camelCase), or a whole EventBridge event -- turned into ``FINDING_SCHEMA_KEYS``.
# ``normalize_findings(findings) -> list[dict]``
#     The same for a list.
# ``severity_label(value) -> str``
#     Low / Medium / High / Critical, by AWS's documented ranges.
# ``is_sample(finding) -> bool``
#     Sample finding detection (``service.additionalInfo`` ``sample`` flag, or a ``[SAMPLE]`` title).
# ``summarise(findings) -> {"buckets": [...], "principals": [...], "remote_ips": [...]}``
#     Distinct buckets, principals and remote IPs, ranked for a responder.
# ``build_finding_criteria(...) -> FindingQuery(criteria, post_filter)``
#     Server-side ``FindingCriteria`` for boto3 (a *list* of them, one ListFindings pagination per entry) and the
#     client-side predicate that makes the result exact.
# ``validate_bucket_name(name)`` / ``validate_finding_id(fid)``
#     Raise ``ValueError`` naming the bad input.
#
# Malformed findings raise ``FindingError`` (a ``ValueError``); missing, null or redacted fields never do.
import datetime as _dt
import fnmatch
import json
import math
import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any
from typing import NamedTuple

from ansible_collections.cloudsec.s3.plugins.module_utils.validation import bucket_name_problem

try:  # optional speed-up; the standard library is the fallback
    import msgspec as _msgspec

    def _json_loads(text: str) -> Any:
        return _msgspec.json.decode(text)

    _JSON_ERRORS: tuple[type[Exception], ...] = (ValueError, _msgspec.DecodeError)
except ImportError:  # pragma: no cover - exercised only on a bare Python
    _msgspec = None

    def _json_loads(text: str) -> Any:
        return json.loads(text)

    _JSON_ERRORS = (ValueError,)


class FindingError(ValueError):
    """A finding that cannot be normalised at all (not a mapping, or neither an id nor a type)."""


# --------------------------------------------------------------------------------------------------------------------
# Finding types
# --------------------------------------------------------------------------------------------------------------------

#: Retired S3 finding types and the type GuardDuty replaced each with. Source: GuardDuty user guide, "Retired finding
#: types" (guardduty_finding-types-retired.html) and the July 2022 S3 AnomalousBehavior announcement. The retired
#: page names the delete type ``Impact:S3/ObjectDelete.Unusual``; older material spells it ``ObjectDestruction``,
#: so both spellings are mapped.
RETIRED_TYPES: dict[str, str] = {
    "Exfiltration:S3/ObjectRead.Unusual": "Exfiltration:S3/AnomalousBehavior",
    "Impact:S3/PermissionsModification.Unusual": "Impact:S3/AnomalousBehavior.Permission",
    "Impact:S3/ObjectDelete.Unusual": "Impact:S3/AnomalousBehavior.Delete",
    "Impact:S3/ObjectDestruction.Unusual": "Impact:S3/AnomalousBehavior.Delete",
    "Discovery:S3/BucketEnumeration.Unusual": "Discovery:S3/AnomalousBehavior",
}

#: Current S3 finding types (GuardDuty user guide, "S3 Protection finding types", plus the S3 attack sequence and
#: Malware Protection for S3 types). Used to expand wildcards for the server side.
S3_FINDING_TYPES: tuple[str, ...] = (
    "Discovery:S3/AnomalousBehavior",
    "Discovery:S3/MaliciousIPCaller",
    "Discovery:S3/MaliciousIPCaller.Custom",
    "Discovery:S3/TorIPCaller",
    "Exfiltration:S3/AnomalousBehavior",
    "Exfiltration:S3/MaliciousIPCaller",
    "Impact:S3/AnomalousBehavior.Delete",
    "Impact:S3/AnomalousBehavior.Permission",
    "Impact:S3/AnomalousBehavior.Write",
    "Impact:S3/MaliciousIPCaller",
    "PenTest:S3/KaliLinux",
    "PenTest:S3/ParrotLinux",
    "PenTest:S3/PentooLinux",
    "Policy:S3/AccountBlockPublicAccessDisabled",
    "Policy:S3/BucketAnonymousAccessGranted",
    "Policy:S3/BucketBlockPublicAccessDisabled",
    "Policy:S3/BucketPublicAccessGranted",
    "Stealth:S3/ServerAccessLoggingDisabled",
    "UnauthorizedAccess:S3/MaliciousIPCaller.Custom",
    "UnauthorizedAccess:S3/TorIPCaller",
    "Object:S3/MaliciousFile",
    "AttackSequence:S3/CompromisedData",
)

#: Every S3 type name a finding can carry, current and retired.
KNOWN_S3_FINDING_TYPES: tuple[str, ...] = S3_FINDING_TYPES + tuple(RETIRED_TYPES)


def canonical_type(finding_type: str | None) -> str | None:
    """The current name of a finding type (a retired name is mapped to its successor)."""
    if finding_type is None:
        return None
    return RETIRED_TYPES.get(finding_type, finding_type)


# --------------------------------------------------------------------------------------------------------------------
# Severity
# --------------------------------------------------------------------------------------------------------------------

# Ranges from the GuardDuty user guide, "Severity levels of GuardDuty findings" (guardduty_findings-severity.html):
# Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0, severity being a double in 1.0..10.0. The bands are
# applied as half-open intervals on the lower edges (4.0 <= Medium < 7.0 ...), so a value between two documented
# ranges such as 3.95 takes the lower label, as the FindingCriteria doc in botocore's GuardDuty model also implies
# (Low ["1","2","3"], Medium ["4","5","6"], High ["7","8"], Critical ["9","10"]). AWS reserves values below 1.0;
# they are labelled Low.
SEVERITY_BANDS: tuple[tuple[float, str], ...] = ((9.0, "Critical"), (7.0, "High"), (4.0, "Medium"), (0.0, "Low"))
SEVERITY_MIN_BY_LABEL: dict[str, float] = {"low": 1.0, "medium": 4.0, "high": 7.0, "critical": 9.0}


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return None if math.isnan(result) or math.isinf(result) else result


def severity_label(value: Any) -> str:
    """Low / Medium / High / Critical for a GuardDuty severity (number or numeric string).

    Raises ``ValueError`` for something that is not a number in 0..10.
    """
    number = _as_float(value)
    if number is None or number < 0.0 or number > 10.0:
        raise ValueError(f"GuardDuty severity must be a number between 1.0 and 10.0, got {value!r}")
    for lower, label in SEVERITY_BANDS:
        if number >= lower:
            return label
    return "Low"  # pragma: no cover - unreachable, 0.0 is the last lower edge


def _severity_threshold(value: Any) -> float:
    """A ``min_severity`` given as a number or as a label name."""
    if isinstance(value, str) and value.strip().lower() in SEVERITY_MIN_BY_LABEL:
        return SEVERITY_MIN_BY_LABEL[value.strip().lower()]
    number = _as_float(value)
    if number is None or number < 0.0 or number > 10.0:
        raise ValueError(
            f"min_severity must be a number between 0 and 10 or one of Low, Medium, High, Critical; got {value!r}"
        )
    return number


# --------------------------------------------------------------------------------------------------------------------
# Small readers that work on both shapes and never raise
# --------------------------------------------------------------------------------------------------------------------

#: Values that mean "no value": empty, placeholders some exporters and redaction tools put in.
REDACTED_VALUES = frozenset(
    {"", "redacted", "<redacted>", "[redacted]", "***", "****", "*****", "n/a", "na", "null", "none", "-", "unknown"}
)


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def _get(node: Any, camel: str) -> Any:
    """Member ``camel`` of a wire-shape mapping, or its PascalCase boto3 twin (``eTag`` -> ``ETag``)."""
    if not isinstance(node, Mapping):
        return None
    value = node.get(camel)
    if value is None:
        value = node.get(_pascal(camel))
    return value


def _path(node: Any, *names: str) -> Any:
    for name in names:
        node = _get(node, name)
        if node is None:
            return None
    return node


def _dict(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list:
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping):  # a single element where a list was expected
        return [value]
    return []


def _str(value: Any) -> str | None:
    """A clean string, or None for missing / null / redacted values. Numbers are accepted (asn ``64496``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value.lower() in REDACTED_VALUES:
        return None
    return value


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    return None


def _int(value: Any) -> int | None:
    number = _as_float(value)
    return None if number is None else int(number)


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
# Numbers above this are taken as epoch milliseconds (1e11 s is the year 5138; 1e11 ms is March 1973).
_EPOCH_MS_THRESHOLD = 1e11


def _to_datetime(value: Any) -> _dt.datetime | None:
    """A timezone-aware UTC datetime from a datetime, epoch seconds / milliseconds or an ISO-8601 string."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, _dt.datetime):
            moment = value
        elif isinstance(value, _dt.date):
            moment = _dt.datetime(value.year, value.month, value.day)
        elif isinstance(value, (int, float)):
            if math.isnan(value) or math.isinf(value):
                return None
            seconds = value / 1000.0 if abs(value) >= _EPOCH_MS_THRESHOLD else float(value)
            return _EPOCH + _dt.timedelta(seconds=seconds)
        elif isinstance(value, str):
            text = value.strip()
            if not text or text.lower() in REDACTED_VALUES:
                return None
            if re.fullmatch(r"-?\d+(\.\d+)?", text):
                return _to_datetime(float(text))
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            moment = _dt.datetime.fromisoformat(text)
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    if moment.tzinfo is None:  # AWS timestamps are UTC; a naive one is taken as UTC
        return moment.replace(tzinfo=_dt.UTC)
    return moment.astimezone(_dt.UTC)


def to_iso8601(value: Any) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` (GuardDuty's own format) for any accepted time value, None if unparseable."""
    moment = _to_datetime(value)
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def to_json_safe(value: Any) -> Any:
    """A copy of ``value`` with datetimes turned into ISO strings (boto3's ``S3BucketDetails[].CreatedAt``), so a
    module can return ``raw`` through ``exit_json``."""
    if isinstance(value, Mapping):
        return {key: to_json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_safe(item) for item in value]
    if isinstance(value, (_dt.datetime, _dt.date)):
        return to_iso8601(value)
    return value


# --------------------------------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------------------------------

#: Keys of a normalised finding, in output order.
FINDING_SCHEMA_KEYS: tuple[str, ...] = (
    "id",
    "arn",
    "type",
    "type_canonical",
    "retired_type",
    "severity",
    "severity_label",
    "title",
    "description",
    "account_id",
    "region",
    "partition",
    "created_at",
    "updated_at",
    "first_seen",
    "last_seen",
    "count",
    "archived",
    "sample",
    "s3_related",
    "resource_type",
    "resource_role",
    "buckets",
    "principal",
    "action_type",
    "api_calls",
    "remote_ips",
    "threat_names",
    "detector_id",
    "feature_name",
    "attack_sequence",
    "raw",
)

_ACTION_TYPES = {
    "AWSAPICALL": "AWS_API_CALL",
    "NETWORKCONNECTION": "NETWORK_CONNECTION",
    "DNSREQUEST": "DNS_REQUEST",
    "PORTPROBE": "PORT_PROBE",
    "KUBERNETESAPICALL": "KUBERNETES_API_CALL",
    "KUBERNETESPERMISSIONCHECKED": "KUBERNETES_PERMISSION_CHECKED",
    "KUBERNETESROLEBINDING": "KUBERNETES_ROLE_BINDING",
    "KUBERNETESROLE": "KUBERNETES_ROLE",
    "RDSLOGINATTEMPT": "RDS_LOGIN_ATTEMPT",
}
# action member present -> action type, for findings that carry the details but not ``actionType``
_ACTION_MEMBERS = (
    ("awsApiCallAction", "AWS_API_CALL"),
    ("networkConnectionAction", "NETWORK_CONNECTION"),
    ("dnsRequestAction", "DNS_REQUEST"),
    ("portProbeAction", "PORT_PROBE"),
    ("kubernetesApiCallAction", "KUBERNETES_API_CALL"),
    ("rdsLoginAttemptAction", "RDS_LOGIN_ATTEMPT"),
)


def normalize_action_type(value: Any) -> str | None:
    """``AWS_API_CALL`` for ``AWS_API_CALL``, ``AWSAPICALL``, ``aws-api-call`` ...; other types likewise."""
    text = _str(value)
    if text is None:
        return None
    squashed = re.sub(r"[^A-Z0-9]", "", text.upper())
    if squashed in _ACTION_TYPES:
        return _ACTION_TYPES[squashed]
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_") or None


def _unwrap(finding: Any) -> Mapping:
    if not isinstance(finding, Mapping):
        raise FindingError(f"a GuardDuty finding must be a mapping (dict), got {type(finding).__name__}")
    if "detail" in finding and ("detail-type" in finding or "source" in finding):
        detail_type = finding.get("detail-type")
        if detail_type is not None and detail_type != "GuardDuty Finding":
            raise FindingError(
                f"EventBridge event has detail-type {detail_type!r}, not 'GuardDuty Finding'; it holds no finding"
            )
        detail = finding.get("detail")
        if not isinstance(detail, Mapping):
            raise FindingError(
                f"EventBridge event 'detail' must be a mapping holding the finding, got {type(detail).__name__}"
            )
        return detail
    return finding


def _additional_info(service: Any) -> dict:
    """``service.additionalInfo`` as a dict: its ``value`` JSON string (or dict) merged over its other keys."""
    info = _get(service, "additionalInfo")
    if not isinstance(info, Mapping):
        return {}
    merged = {key: val for key, val in info.items() if key not in ("value", "Value")}
    value = _get(info, "value")
    if isinstance(value, (str, bytes)):
        try:
            value = _json_loads(value)
        except _JSON_ERRORS:
            value = None
    if isinstance(value, Mapping):
        merged.update(value)
    return merged


def _raw_is_sample(finding: Mapping) -> bool:
    info = _additional_info(_get(finding, "service"))
    if _bool(info.get("sample", info.get("Sample"))) is True:
        return True
    title = _get(finding, "title")
    return isinstance(title, str) and title.lstrip().upper().startswith("[SAMPLE]")


def _looks_normalised(finding: Mapping) -> bool:
    return "type_canonical" in finding and "raw" in finding and "s3_related" in finding


def is_sample(finding: Mapping) -> bool:
    """True for a sample finding. Accepts a raw finding (any shape, or an EventBridge event) or a normalised one."""
    if isinstance(finding, Mapping) and _looks_normalised(finding):
        return bool(finding.get("sample"))
    return _raw_is_sample(_unwrap(finding))


def _block_public_access(node: Any) -> dict:
    return {
        "block_public_acls": _bool(_get(node, "blockPublicAcls")),
        "ignore_public_acls": _bool(_get(node, "ignorePublicAcls")),
        "block_public_policy": _bool(_get(node, "blockPublicPolicy")),
        "restrict_public_buckets": _bool(_get(node, "restrictPublicBuckets")),
    }


def _bucket_name_from_arn(arn: str | None) -> str | None:
    if arn and arn.startswith("arn:") and ":s3:::" in arn:
        return _str(arn.split(":::", 1)[1].split("/", 1)[0])
    return None


def _empty_bucket(name: str | None, arn: str | None, partition: str) -> dict:
    if arn is None and name is not None:
        arn = f"arn:{partition}:s3:::{name}"
    return {
        "name": name,
        "arn": arn,
        "type": None,
        "owner_id": None,
        "created_at": None,
        "tags": {},
        "encryption_type": None,
        "kms_key_arn": None,
        "effective_permission": None,
        "public_access": None,
        "objects": [],
    }


def _tags(value: Any) -> dict:
    tags: dict[str, str | None] = {}
    if isinstance(value, Mapping):  # already a dict in some exports
        for key, val in value.items():
            if _str(key) is not None:
                tags[str(key)] = val if isinstance(val, str) else _str(val)
        return tags
    for tag in _list(value):
        key = _str(_get(tag, "key"))
        if key is not None:
            val = _get(tag, "value")
            tags[key] = val if isinstance(val, str) else _str(val)
    return tags


def _normalise_bucket(detail: Any, partition: str) -> dict | None:
    if not isinstance(detail, Mapping):
        return None
    arn = _str(_get(detail, "arn"))
    name = _str(_get(detail, "name")) or _bucket_name_from_arn(arn)
    if name is None and arn is None:
        return None
    bucket = _empty_bucket(name, arn, partition)
    kind = _str(_get(detail, "type"))
    bucket["type"] = kind.lower() if kind else None
    bucket["owner_id"] = _str(_path(detail, "owner", "id"))
    bucket["created_at"] = to_iso8601(_get(detail, "createdAt"))
    bucket["tags"] = _tags(_get(detail, "tags"))
    encryption = _get(detail, "defaultServerSideEncryption")
    bucket["encryption_type"] = _str(_get(encryption, "encryptionType"))
    bucket["kms_key_arn"] = _str(_get(encryption, "kmsMasterKeyArn"))
    public = _get(detail, "publicAccess")
    permission = _str(_get(public, "effectivePermission"))
    bucket["effective_permission"] = permission.upper() if permission else None
    if isinstance(public, Mapping):
        config = _get(public, "permissionConfiguration")
        bucket_level = _get(config, "bucketLevelPermissions")
        acl = _get(bucket_level, "accessControlList")
        policy = _get(bucket_level, "bucketPolicy")
        bucket["public_access"] = {
            "acl_allows_public_read": _bool(_get(acl, "allowsPublicReadAccess")),
            "acl_allows_public_write": _bool(_get(acl, "allowsPublicWriteAccess")),
            "policy_allows_public_read": _bool(_get(policy, "allowsPublicReadAccess")),
            "policy_allows_public_write": _bool(_get(policy, "allowsPublicWriteAccess")),
            "bucket_block_public_access": _block_public_access(_get(bucket_level, "blockPublicAccess")),
            "account_block_public_access": _block_public_access(
                _path(config, "accountLevelPermissions", "blockPublicAccess")
            ),
        }
    objects = []
    for obj in _list(_get(detail, "s3ObjectDetails")):
        if not isinstance(obj, Mapping):
            continue
        entry = {
            "key": _str(_get(obj, "key")),
            "version_id": _str(_get(obj, "versionId")),
            "etag": _str(_get(obj, "eTag")),
            "hash": _str(_get(obj, "hash")),
            "arn": _str(_get(obj, "objectArn")),
        }
        if any(entry.values()):
            objects.append(entry)
    bucket["objects"] = objects
    return bucket


def _sequence_buckets(service: Any, partition: str) -> list[dict]:
    """Buckets named by an attack sequence (``service.detection.sequence.resources``)."""
    found = []
    for resource in _list(_path(service, "detection", "sequence", "resources")):
        kind = (_str(_get(resource, "resourceType")) or "").replace(":", "").lower()
        if kind not in ("awss3bucket", "s3bucket"):
            continue
        uid = _str(_get(resource, "uid"))
        arn = uid if uid and uid.startswith("arn:") else None
        name = _str(_get(resource, "name")) or _bucket_name_from_arn(arn) or (uid if arn is None else None)
        if name is None:
            continue
        bucket = _empty_bucket(name, arn, partition)
        bucket["tags"] = _tags(_get(resource, "tags"))
        data = _path(resource, "data", "s3Bucket")
        if isinstance(data, Mapping):
            bucket["owner_id"] = _str(_get(data, "ownerId"))
            bucket["created_at"] = to_iso8601(_get(data, "createdAt"))
            bucket["encryption_type"] = _str(_get(data, "encryptionType"))
            bucket["kms_key_arn"] = _str(_get(data, "encryptionKeyArn"))
            permission = _str(_get(data, "effectivePermission"))
            bucket["effective_permission"] = permission.upper() if permission else None
        found.append(bucket)
    return found


def _affected_resource_buckets(api_action: Any, partition: str) -> list[dict]:
    affected = _get(api_action, "affectedResources")
    if not isinstance(affected, Mapping):
        return []
    name = _str(affected.get("AWS::S3::Bucket"))
    return [_empty_bucket(name, None, partition)] if name else []


def _buckets(resource: Any, service: Any, partition: str) -> list[dict]:
    buckets = [b for b in (_normalise_bucket(d, partition) for d in _list(_get(resource, "s3BucketDetails"))) if b]
    if not buckets:  # fall back on the names other parts of the finding give
        buckets = _sequence_buckets(service, partition) or _affected_resource_buckets(
            _path(service, "action", "awsApiCallAction"), partition
        )
    unique: dict[tuple, dict] = {}
    for bucket in buckets:
        unique.setdefault((bucket["name"], bucket["arn"], bucket["type"]), bucket)
    return list(unique.values())


def _principal(resource: Any, account_id: str | None, partition: str) -> dict | None:
    details = _get(resource, "accessKeyDetails")
    if not isinstance(details, Mapping):
        return None
    user_type = _str(_get(details, "userType"))
    user_name = _str(_get(details, "userName"))
    principal_id = _str(_get(details, "principalId"))
    principal = {
        "user_type": user_type,
        "user_name": user_name,
        "principal_id": principal_id,
        "access_key_id": _str(_get(details, "accessKeyId")),
        "arn": None,
        "role_name": None,
        "session_name": None,
        "session_arn": None,
    }
    if not any(principal.values()):
        return None
    # ARNs are derived only where the finding determines them. An IAM user's ARN is taken without a path (GuardDuty
    # does not report it), a role's ARN cannot be rebuilt from the principal id, the session ARN can.
    kind = (user_type or "").lower()
    if kind == "iamuser" and account_id and user_name:
        principal["arn"] = f"arn:{partition}:iam::{account_id}:user/{user_name}"
    elif kind == "root" and account_id:
        principal["arn"] = f"arn:{partition}:iam::{account_id}:root"
    elif kind == "assumedrole":
        session = principal_id.split(":", 1)[1] if principal_id and ":" in principal_id else None
        principal["role_name"] = user_name
        principal["session_name"] = _str(session)
        if account_id and user_name and principal["session_name"]:
            principal["session_arn"] = (
                f"arn:{partition}:sts::{account_id}:assumed-role/{user_name}/{principal['session_name']}"
            )
    elif kind == "federateduser" and account_id and user_name:
        principal["arn"] = f"arn:{partition}:sts::{account_id}:federated-user/{user_name}"
    return principal


def _remote_ip(details: Any) -> dict | None:
    if not isinstance(details, Mapping):
        return None
    entry = {
        "ip": _str(_get(details, "ipAddressV4")),
        "ipv6": _str(_get(details, "ipAddressV6")),
        "country": _str(_path(details, "country", "countryName")),
        "country_code": _str(_path(details, "country", "countryCode")),
        "city": _str(_path(details, "city", "cityName")),
        "org": _str(_path(details, "organization", "org")),
        "asn": _str(_path(details, "organization", "asn")),
        "asn_org": _str(_path(details, "organization", "asnOrg")),
        "isp": _str(_path(details, "organization", "isp")),
        "lat": _as_float(_path(details, "geoLocation", "lat")),
        "lon": _as_float(_path(details, "geoLocation", "lon")),
    }
    return entry if entry["ip"] or entry["ipv6"] else None


def _remote_ips(action: Any) -> list[dict]:
    candidates = [
        _path(action, "awsApiCallAction", "remoteIpDetails"),
        _path(action, "networkConnectionAction", "remoteIpDetails"),
        _path(action, "kubernetesApiCallAction", "remoteIpDetails"),
        _path(action, "rdsLoginAttemptAction", "remoteIpDetails"),
    ]
    candidates += [
        _get(probe, "remoteIpDetails") for probe in _list(_path(action, "portProbeAction", "portProbeDetails"))
    ]
    unique: dict[tuple, dict] = {}
    for candidate in candidates:
        entry = _remote_ip(candidate)
        if entry is not None:
            unique.setdefault((entry["ip"], entry["ipv6"]), entry)
    return list(unique.values())


def _api_calls(action: Any) -> list[dict]:
    call = _get(action, "awsApiCallAction")
    if not isinstance(call, Mapping):
        return []
    remote_account = _get(call, "remoteAccountDetails")
    entry = {
        "api": _str(_get(call, "api")),
        "service": _str(_get(call, "serviceName")),
        "caller_type": _str(_get(call, "callerType")),
        "error_code": _str(_get(call, "errorCode")),
        "user_agent": _str(_get(call, "userAgent")),
        "remote_account_id": _str(_get(remote_account, "accountId")),
        "remote_account_affiliated": _bool(_get(remote_account, "affiliated")),
    }
    return [entry] if any(value is not None for value in entry.values()) else []


def _threat_names(service: Any) -> list[str]:
    names: list[str] = []
    for detail in _list(_path(service, "evidence", "threatIntelligenceDetails")):
        names += [name for name in (_str(n) for n in _list_of_scalars(_get(detail, "threatNames"))) if name]
    for threat in _list(_path(service, "malwareScanDetails", "threats")):
        name = _str(_get(threat, "name"))
        if name:
            names.append(name)
    return list(dict.fromkeys(names))


def _list_of_scalars(value: Any) -> list:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, str) else []


def normalize_finding(finding: Mapping) -> dict:
    """One GuardDuty finding, in any accepted shape, as a dict with the keys of ``FINDING_SCHEMA_KEYS``.

    Accepted: boto3 ``GetFindings`` output (PascalCase), the wire / EventBridge ``detail`` shape (camelCase) and a
    whole EventBridge event (``{"detail-type": "GuardDuty Finding", "detail": {...}}``). Missing, null or redacted
    fields give None (or an empty list / dict); only a non-mapping, or a finding with neither an id nor a type,
    raises ``FindingError``. ``raw`` is the input object itself, not a copy. An already normalised finding is
    returned as it is, so normalising twice is harmless.
    """
    if isinstance(finding, Mapping) and _looks_normalised(finding):
        return finding  # type: ignore[return-value]
    data = _unwrap(finding)
    finding_id = _str(_get(data, "id"))
    finding_type = _str(_get(data, "type"))
    if finding_id is None and finding_type is None:
        keys = ", ".join(sorted(map(str, data))[:10]) or "none"
        raise FindingError(
            f"not a GuardDuty finding: it has neither an 'id' nor a 'type' (Id/Type in boto3 shape); keys seen: {keys}"
        )
    partition = _str(_get(data, "partition")) or "aws"
    account_id = _str(_get(data, "accountId"))
    resource = _dict(_get(data, "resource"))
    service = _dict(_get(data, "service"))
    action = _dict(_get(service, "action"))

    severity = _as_float(_get(data, "severity"))
    try:
        label = None if severity is None else severity_label(severity)
    except ValueError:
        label = None

    type_canonical = canonical_type(finding_type)
    resource_type = _str(_get(resource, "resourceType"))
    buckets = _buckets(resource, service, partition)
    action_type = normalize_action_type(_get(action, "actionType"))
    if action_type is None:
        action_type = next((kind for member, kind in _ACTION_MEMBERS if _get(action, member) is not None), None)
    s3_related = bool(
        buckets
        or (resource_type or "").lower() in ("s3bucket", "s3object")
        or (finding_type is not None and ":S3/" in finding_type)
    )
    role = _str(_get(service, "resourceRole"))
    archived = _bool(_get(service, "archived"))
    attack_sequence = bool(
        (finding_type or "").startswith("AttackSequence:")
        or isinstance(_path(service, "detection", "sequence"), Mapping)
    )
    return {
        "id": finding_id,
        "arn": _str(_get(data, "arn")),
        "type": finding_type,
        "type_canonical": type_canonical,
        "retired_type": finding_type in RETIRED_TYPES,
        "severity": severity,
        "severity_label": label,
        "title": _str(_get(data, "title")),
        "description": _str(_get(data, "description")),
        "account_id": account_id,
        "region": _str(_get(data, "region")),
        "partition": partition,
        "created_at": to_iso8601(_get(data, "createdAt")),
        "updated_at": to_iso8601(_get(data, "updatedAt")),
        "first_seen": to_iso8601(_get(service, "eventFirstSeen")),
        "last_seen": to_iso8601(_get(service, "eventLastSeen")),
        "count": _int(_get(service, "count")),
        "archived": archived is True,
        "sample": _raw_is_sample(data),
        "s3_related": s3_related,
        "resource_type": resource_type,
        "resource_role": role.upper() if role else None,
        "buckets": buckets,
        "principal": _principal(resource, account_id, partition),
        "action_type": action_type,
        "api_calls": _api_calls(action),
        "remote_ips": _remote_ips(action),
        "threat_names": _threat_names(service),
        "detector_id": _str(_get(service, "detectorId")),
        "feature_name": _str(_get(service, "featureName")),
        "attack_sequence": attack_sequence,
        "raw": finding,
    }


def normalize_findings(findings: Iterable[Mapping]) -> list[dict]:
    """``normalize_finding`` over a list; a ``FindingError`` names the index of the bad item."""
    result = []
    for index, finding in enumerate(findings):
        try:
            result.append(normalize_finding(finding))
        except FindingError as exc:
            raise FindingError(f"finding #{index}: {exc}") from exc
    return result


def _ensure_normalised(finding: Mapping) -> dict:
    if isinstance(finding, Mapping) and _looks_normalised(finding):
        return finding  # type: ignore[return-value]
    return normalize_finding(finding)


# --------------------------------------------------------------------------------------------------------------------
# Summary for a responder
# --------------------------------------------------------------------------------------------------------------------


def _sev(value: float | None) -> float:
    return -1.0 if value is None else value


def _later(current: str | None, candidate: str | None) -> str | None:
    # ISO strings of one fixed format compare in time order
    if candidate is None:
        return current
    return candidate if current is None or candidate > current else current


def _earlier(current: str | None, candidate: str | None) -> str | None:
    if candidate is None:
        return current
    return candidate if current is None or candidate < current else current


def _ranked(entries: Iterable[dict]) -> list[dict]:
    """Highest max severity first, then the most recent activity, then by name (stable sorts, last key first)."""
    out = sorted(entries, key=lambda e: e["_sort_name"])
    out.sort(key=lambda e: e.get("last_seen") or "", reverse=True)
    out.sort(key=lambda e: _sev(e.get("max_severity")), reverse=True)
    for entry in out:
        entry.pop("_sort_name", None)
        entry.pop("_ids", None)
    return out


def _principal_key(principal: dict) -> tuple[str, str] | None:
    for field in ("access_key_id", "principal_id", "arn", "user_name"):
        if principal.get(field):
            return field, principal[field]
    return None


def summarise(findings: Iterable[Mapping]) -> dict:
    """Distinct buckets, principals and remote IPs named by ``findings`` (raw or normalised).

    ``buckets``: ``{name, arn, max_severity, max_severity_label, first_seen, last_seen, effective_permission,
    public (bool), finding_ids, finding_types}``, highest max severity first, then latest ``last_seen``.
    ``principals``: one entry per access key (or, with no key, per principal id / ARN / user name) with the
    principal fields of the findings plus ``finding_ids``, ``buckets``, ``max_severity``, ranked the same way.
    ``remote_ips``: one entry per address with its geo / ASN detail, ``finding_ids``, ``apis``, ``principals``.
    """
    buckets: dict[str, dict] = {}
    principals: dict[tuple[str, str], dict] = {}
    ips: dict[str, dict] = {}
    for raw in findings:
        finding = _ensure_normalised(raw)
        fid = finding.get("id")
        severity = finding.get("severity")
        last = finding.get("last_seen") or finding.get("updated_at")
        first = finding.get("first_seen") or finding.get("created_at")
        bucket_names = [b["name"] for b in finding.get("buckets", []) if b.get("name")]
        principal = finding.get("principal") or None
        pkey = _principal_key(principal) if principal else None

        for bucket in finding.get("buckets", []):
            name = bucket.get("name")
            if not name:
                continue
            entry = buckets.setdefault(
                name,
                {
                    "name": name,
                    "arn": bucket.get("arn"),
                    "max_severity": None,
                    "max_severity_label": None,
                    "first_seen": None,
                    "last_seen": None,
                    "effective_permission": None,
                    "public": False,
                    "finding_ids": [],
                    "finding_types": [],
                    "_sort_name": name,
                },
            )
            _merge_common(entry, fid, severity, first, last)
            if finding.get("type") and finding["type"] not in entry["finding_types"]:
                entry["finding_types"].append(finding["type"])
            permission = bucket.get("effective_permission")
            if permission == "PUBLIC" or (permission and entry["effective_permission"] is None):
                entry["effective_permission"] = permission
            entry["public"] = entry["effective_permission"] == "PUBLIC"
            entry["arn"] = entry["arn"] or bucket.get("arn")

        if principal and pkey:
            entry = principals.setdefault(
                pkey,
                {
                    **principal,
                    "max_severity": None,
                    "max_severity_label": None,
                    "first_seen": None,
                    "last_seen": None,
                    "finding_ids": [],
                    "buckets": [],
                    "_sort_name": pkey[1],
                },
            )
            for field, value in principal.items():  # fill gaps from later findings
                if entry.get(field) is None and value is not None:
                    entry[field] = value
            _merge_common(entry, fid, severity, first, last)
            for name in bucket_names:
                if name not in entry["buckets"]:
                    entry["buckets"].append(name)

        for remote in finding.get("remote_ips", []):
            address = remote.get("ip") or remote.get("ipv6")
            if not address:
                continue
            entry = ips.setdefault(
                address,
                {
                    **remote,
                    "max_severity": None,
                    "max_severity_label": None,
                    "first_seen": None,
                    "last_seen": None,
                    "finding_ids": [],
                    "apis": [],
                    "principals": [],
                    "buckets": [],
                    "_sort_name": address,
                },
            )
            _merge_common(entry, fid, severity, first, last)
            for call in finding.get("api_calls", []):
                if call.get("api") and call["api"] not in entry["apis"]:
                    entry["apis"].append(call["api"])
            if pkey and pkey[1] not in entry["principals"]:
                entry["principals"].append(pkey[1])
            for name in bucket_names:
                if name not in entry["buckets"]:
                    entry["buckets"].append(name)

    return {
        "buckets": _ranked(buckets.values()),
        "principals": _ranked(principals.values()),
        "remote_ips": _ranked(ips.values()),
    }


def _merge_common(entry: dict, fid: str | None, severity: float | None, first: str | None, last: str | None) -> None:
    seen = entry.setdefault("_ids", set())
    if fid and fid not in seen:
        seen.add(fid)
        entry["finding_ids"].append(fid)
    if severity is not None and (entry["max_severity"] is None or severity > entry["max_severity"]):
        entry["max_severity"] = severity
        try:
            entry["max_severity_label"] = severity_label(severity)
        except ValueError:
            entry["max_severity_label"] = None
    entry["first_seen"] = _earlier(entry["first_seen"], first)
    entry["last_seen"] = _later(entry["last_seen"], last)


# --------------------------------------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------------------------------------


def validate_bucket_name(name: Any) -> str:
    """``name`` when it is a valid bucket name, else ValueError naming it (rules in ``validation.py``)."""
    problem = bucket_name_problem(name)
    if problem:
        raise ValueError(f"invalid S3 bucket name {name!r}: {problem}")
    return name


_FINDING_ID = re.compile(r"^[A-Za-z0-9]{1,300}$")


def validate_finding_id(finding_id: Any) -> str:
    """A GuardDuty finding id: 1 to 300 letters and digits (GuardDuty issues 32 lowercase hex characters)."""
    if not isinstance(finding_id, str) or not _FINDING_ID.match(finding_id):
        shown = finding_id if not isinstance(finding_id, str) or len(finding_id) <= 80 else finding_id[:80] + "..."
        raise ValueError(f"invalid GuardDuty finding id {shown!r}: expected 1 to 300 letters and digits")
    return finding_id


_TYPE_PATTERN = re.compile(r"^[A-Za-z0-9:/._\-*?\[\]!]{1,100}$")


def _validate_type_pattern(pattern: Any) -> str:
    if not isinstance(pattern, str) or not _TYPE_PATTERN.match(pattern):
        raise ValueError(
            f"invalid GuardDuty finding type {pattern!r}: expected a type such as 'Exfiltration:S3/MaliciousIPCaller' "
            "or a pattern such as 'Exfiltration:S3/*' (at most 100 characters)"
        )
    return pattern


def _as_list(value: Any, what: str) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    raise ValueError(f"{what} must be a string or a list of strings, got {type(value).__name__}")


# --------------------------------------------------------------------------------------------------------------------
# Time window
# --------------------------------------------------------------------------------------------------------------------

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_time(value: Any, *, now: _dt.datetime | None = None) -> _dt.datetime:
    """A UTC datetime from a datetime, ISO-8601 string, epoch seconds or milliseconds, a ``timedelta`` (that long
    ago) or a relative string ``"<n>s|m|h|d|w"`` (``"7d"``: seven days ago). Raises ``ValueError``."""
    if now is None:
        now = _dt.datetime.now(_dt.UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=_dt.UTC)
    if isinstance(value, _dt.timedelta):
        return now - value
    if isinstance(value, str):
        match = _RELATIVE.match(value)
        if match:
            return now - _dt.timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])
    moment = _to_datetime(value)
    if moment is None:
        raise ValueError(
            f"cannot read {value!r} as a time: use an ISO-8601 string, epoch seconds or milliseconds, a datetime, "
            "or a relative age such as '7d', '12h', '30m'"
        )
    return moment


def epoch_millis(moment: _dt.datetime) -> int:
    return round((moment - _EPOCH).total_seconds() * 1000)


# --------------------------------------------------------------------------------------------------------------------
# FindingCriteria
# --------------------------------------------------------------------------------------------------------------------

#: Most values one ``Eq`` list may hold (botocore GuardDuty model, Condition.Eq: "Max values: 50").
MAX_EQ_VALUES = 50

FIELD_BUCKET = "resource.s3BucketDetails.name"
FIELD_ID = "id"
FIELD_TYPE = "type"
FIELD_SEVERITY = "severity"
FIELD_UPDATED = "updatedAt"
FIELD_ARCHIVED = "service.archived"


class FindingQuery(NamedTuple):
    """What ``build_finding_criteria`` returns.

    ``criteria``: FindingCriteria dicts for boto3 (``{"Criterion": {...}}``). Run one ListFindings pagination per
    entry and take the union of the finding ids (an id may come back from several entries). Never empty: with no
    filter at all it holds one criteria set (``{"Criterion": {}}`` when archived findings are included).
    ``post_filter``: ``predicate(finding) -> bool`` to apply to every fetched finding (raw or normalised); it
    re-checks everything, including what the server cannot express (wildcards, samples, fractional severity).
    """

    criteria: list[dict]
    post_filter: Callable[[Mapping], bool]


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[i : i + MAX_EQ_VALUES] for i in range(0, len(values), MAX_EQ_VALUES)] or [[]]


def expand_type_patterns(patterns: Iterable[str]) -> list[str] | None:
    """Exact type names the server can match for ``patterns`` (retired names included), or None when a wildcard
    matches no known S3 type and the type filter must be left to the client."""
    names: list[str] = []
    for pattern in patterns:
        if any(ch in pattern for ch in "*?["):
            matched = [t for t in KNOWN_S3_FINDING_TYPES if fnmatch.fnmatchcase(t, pattern)]
            if not matched:
                return None
        else:
            matched = [pattern]
        for name in matched:
            names.append(name)
            # a current type also matches findings stored under its retired predecessors
            names += [old for old, new in RETIRED_TYPES.items() if new == name]
    return list(dict.fromkeys(names))


def build_finding_criteria(
    *,
    buckets: Any = None,
    finding_ids: Any = None,
    types: Any = None,
    min_severity: Any = None,
    updated_since: Any = None,
    include_archived: bool = False,
    include_samples: bool = False,
    expand_types: bool = True,
    now: _dt.datetime | None = None,
) -> FindingQuery:
    """Server-side FindingCriteria (boto3 PascalCase) plus the exact client-side filter, see ``FindingQuery``.

    - ``buckets`` / ``finding_ids`` / ``types``: a string or a list; an empty list means no filter. Bucket names and
      finding ids are validated first (``ValueError`` naming each bad one), so nothing reaches AWS.
    - More than 50 values for one field are split into several criteria sets (the cross product when several
      fields are long).
    - ``types`` may hold fnmatch patterns (``Exfiltration:S3/*``). With ``expand_types`` (default) a pattern is
      expanded against ``KNOWN_S3_FINDING_TYPES`` for the server; if a pattern matches no known type, or with
      ``expand_types=False``, no type criterion is sent and the post-filter alone selects, so types unknown to
      this list still match. A type also matches its retired predecessors (and ``type_canonical``).
    - ``min_severity``: number 0..10 or a label (Low/Medium/High/Critical, meaning 1/4/7/9). The server gets its
      integer floor (``GreaterThanOrEqual``), the post-filter the exact value.
    - ``updated_since``: anything ``parse_time`` reads (``"7d"``, ISO, epoch s/ms, datetime); sent as epoch ms.
    - ``include_archived=False`` sends ``service.archived Eq ["false"]``.
    - ``include_samples=False`` drops sample findings in the post-filter only: the server-side
      ``service.additionalInfo.sample`` field is documented for filters, but whether ``Eq ["false"]`` matches
      findings that carry no ``sample`` key at all (every real finding) is not, so it is not sent.
    """
    bucket_list = _as_list(buckets, "buckets")
    bad = [f"{name!r} ({problem})" for name in bucket_list if (problem := bucket_name_problem(name))]
    if bad:
        raise ValueError("invalid S3 bucket name(s): " + "; ".join(bad))
    bucket_list = list(dict.fromkeys(bucket_list))

    id_list = _as_list(finding_ids, "finding_ids")
    for finding_id in id_list:
        validate_finding_id(finding_id)
    id_list = list(dict.fromkeys(id_list))

    type_list = [_validate_type_pattern(t) for t in _as_list(types, "types")]
    type_list = list(dict.fromkeys(type_list))

    threshold = None if min_severity is None else _severity_threshold(min_severity)
    since = None if updated_since is None else parse_time(updated_since, now=now)

    base: dict[str, dict] = {}
    if not include_archived:
        base[FIELD_ARCHIVED] = {"Eq": ["false"]}
    if threshold is not None and threshold > 0:
        base[FIELD_SEVERITY] = {"GreaterThanOrEqual": math.floor(threshold)}
    if since is not None:
        base[FIELD_UPDATED] = {"GreaterThanOrEqual": epoch_millis(since)}

    server_types: list[str] | None = None
    if type_list:
        if expand_types:
            server_types = expand_type_patterns(type_list)
        elif not any(ch in t for t in type_list for ch in "*?["):
            server_types = expand_type_patterns(type_list)

    eq_fields: list[tuple[str, list[str]]] = []
    if bucket_list:
        eq_fields.append((FIELD_BUCKET, bucket_list))
    if id_list:
        eq_fields.append((FIELD_ID, id_list))
    if server_types:
        eq_fields.append((FIELD_TYPE, server_types))

    criteria: list[dict] = [{"Criterion": dict(base)}]
    for field, values in eq_fields:
        criteria = [
            {"Criterion": {**entry["Criterion"], field: {"Eq": chunk}}}
            for entry in criteria
            for chunk in _chunks(values)
        ]

    bucket_set = frozenset(bucket_list)
    id_set = frozenset(id_list)
    since_iso = to_iso8601(since) if since is not None else None

    def post_filter(finding: Mapping) -> bool:
        item = _ensure_normalised(finding)
        if not include_archived and item.get("archived"):
            return False
        if not include_samples and item.get("sample"):
            return False
        if id_set and item.get("id") not in id_set:
            return False
        if bucket_set and not any(b.get("name") in bucket_set for b in item.get("buckets", [])):
            return False
        if type_list:
            names = [n for n in (item.get("type"), item.get("type_canonical")) if n]
            if not any(fnmatch.fnmatchcase(n, p) for n in names for p in type_list):
                return False
        if threshold is not None and (item.get("severity") is None or item["severity"] < threshold):
            return False
        if since_iso is not None:
            updated = item.get("updated_at")
            if updated is not None and updated < since_iso:
                return False
        return True

    return FindingQuery(criteria=criteria, post_filter=post_filter)
