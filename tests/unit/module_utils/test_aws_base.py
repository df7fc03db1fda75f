"""The module_utils base: retries, paginators, S3 Control endpoint fix, per-section error handling."""

from __future__ import annotations

import datetime

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.cloudsec.s3.plugins.module_utils import aws
from ansible_collections.cloudsec.s3.plugins.module_utils import s3_security
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from botocore.stub import Stubber


def _client(service: str, endpoint: str | None = None):
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    ).client(service, endpoint_url=endpoint)


def _wrapped(raw):
    # retries=1 keeps the throttling tests fast; the production decorator retries 10 times.
    return RetryingBotoClientWrapper(
        raw,
        aws.AWSRetry.jittered_backoff(retries=2, delay=0, max_delay=0, catch_extra_error_codes=aws.RETRY_ERROR_CODES),
    )


@pytest.mark.parametrize(
    ("endpoint", "custom"),
    [
        (None, False),
        ("https://s3.us-east-1.amazonaws.com", False),
        ("https://123456789012.s3-control.eu-west-1.amazonaws.com", False),
        ("https://s3.cn-north-1.amazonaws.com.cn", False),
        ("http://127.0.0.1:5055", True),
        ("https://vpce-0abc.s3.us-east-1.vpce.example.internal", True),
    ],
)
def test_custom_endpoint_detection(endpoint, custom):
    assert aws.is_custom_endpoint(endpoint) is custom


def test_s3control_account_prefix_is_stripped_only_for_custom_endpoints():
    local = aws.fix_s3control_endpoint(_client("s3control", "http://127.0.0.1:5055"))
    seen = []
    local.meta.events.register("before-send.s3-control.*", lambda request, **_: seen.append(request.url) or _ok())
    local.get_public_access_block(AccountId="123456789012")
    assert seen[0].startswith("http://127.0.0.1:5055/v20180820/")

    real = aws.fix_s3control_endpoint(_client("s3control"))
    seen.clear()
    real.meta.events.register("before-send.s3-control.*", lambda request, **_: seen.append(request.url) or _ok())
    real.get_public_access_block(AccountId="123456789012")
    assert seen[0].startswith("https://123456789012.s3-control.us-east-1.amazonaws.com/")


def _ok():
    from botocore.awsrequest import AWSResponse

    body = (
        b'<?xml version="1.0"?><GetPublicAccessBlockOutput><PublicAccessBlockConfiguration>'
        b"<BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlockConfiguration></GetPublicAccessBlockOutput>"
    )

    class Raw:
        def stream(self, **_):
            yield body

    return AWSResponse("https://x", 200, {}, Raw())


def test_paginate_retries_the_whole_pagination_on_throttling():
    raw = _client("iam")
    with Stubber(raw) as stub:
        stub.add_client_error("list_users", service_error_code="Throttling", http_status_code=400)
        stub.add_response("list_users", {"Users": [_user("a")], "IsTruncated": True, "Marker": "m"}, {})
        stub.add_response("list_users", {"Users": [_user("b")], "IsTruncated": False}, {"Marker": "m"})
        result = aws.paginate(_wrapped(raw), "list_users")
    assert [u["UserName"] for u in result["Users"]] == ["a", "b"]


def test_paginate_tokens_follows_next_token():
    raw = _client("detective")
    with Stubber(raw) as stub:
        stub.add_response("list_graphs", {"GraphList": [{"Arn": "arn:1"}], "NextToken": "t1"}, {})
        stub.add_response("list_graphs", {"GraphList": [{"Arn": "arn:2"}]}, {"NextToken": "t1"})
        graphs = aws.paginate_tokens(_wrapped(raw), "list_graphs", "GraphList")
    assert [g["Arn"] for g in graphs] == ["arn:1", "arn:2"]


def _user(name):
    return {
        "UserName": name,
        "UserId": "AIDA" + name.upper() * 16,
        "Arn": f"arn:aws:iam::123456789012:user/{name}",
        "Path": "/",
        "CreateDate": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    }


def test_jsonable_turns_datetimes_into_utc_iso_strings():
    naive = datetime.datetime(2026, 11, 1, 10, 0, 0)
    aware = datetime.datetime(2026, 11, 1, 12, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    out = aws.jsonable({"a": naive, "b": [aware], "ResponseMetadata": {"x": 1}, "c": b"bytes"})
    assert out == {"a": "2026-11-01T10:00:00Z", "b": ["2026-11-01T10:00:00Z"], "c": "bytes"}


def test_access_denied_on_one_section_is_reported_and_the_rest_is_read():
    raw = _client("s3")
    with Stubber(raw) as stub:
        stub.add_response("get_bucket_location", {"LocationConstraint": "eu-west-1"}, {"Bucket": "victim-bucket"})
        stub.add_client_error(
            "get_bucket_replication",
            service_error_code="AccessDenied",
            service_message="Access Denied",
            http_status_code=403,
        )
        stub.add_response("get_bucket_versioning", {"Status": "Suspended"}, {"Bucket": "victim-bucket"})
        result = s3_security.gather_bucket(_wrapped(raw), "victim-bucket", sections=("replication", "versioning"))
    assert result["region"] == "eu-west-1"
    assert result["replication"] is None
    assert result["errors"] == {"replication": "AccessDenied: Access Denied"}
    assert result["versioning"] == {"status": "Suspended", "mfa_delete": "Disabled"}


def test_invalid_policy_json_is_reported_naming_the_bucket():
    raw = _client("s3")
    with Stubber(raw) as stub:
        stub.add_response("get_bucket_location", {}, {"Bucket": "victim-bucket"})
        stub.add_response("get_bucket_policy", {"Policy": "{not json"}, {"Bucket": "victim-bucket"})
        result = s3_security.gather_bucket(_wrapped(raw), "victim-bucket", sections=("policy",))
    assert result["region"] == "us-east-1"
    assert result["policy"] is None
    assert result["policy_text"] == "{not json"
    assert result["errors"]["policy"].startswith("The bucket policy of victim-bucket is not valid JSON")


def test_missing_bucket_raises_naming_it():
    raw = _client("s3")
    with Stubber(raw) as stub:
        stub.add_client_error("get_bucket_location", service_error_code="NoSuchBucket", http_status_code=404)
        with pytest.raises(CloudsecError, match="Bucket gone-bucket does not exist"):
            s3_security.gather_bucket(_wrapped(raw), "gone-bucket", sections=("policy",))


def test_snake_case_conversion_of_aws_keys():
    assert s3_security.snake({"NoncurrentVersionExpiration": {"NoncurrentDays": 3}, "ID": "x", "SSEAlgorithm": 1}) == {
        "noncurrent_version_expiration": {"noncurrent_days": 3},
        "id": "x",
        "sse_algorithm": 1,
    }
