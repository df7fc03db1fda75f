# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
short_description: Receive events from an Amazon SQS queue
description:
  - An ansible-rulebook event source that long-polls an SQS queue and puts every message on the rulebook's queue as
    C({"body": <message body, parsed as JSON when it is JSON>, "meta": {"MessageId": ...}}).
  - A message is deleted from SQS only after it has been handed to the rule engine, so a crash in between delivers
    it again rather than losing it (rules must tolerate a duplicate, for example with a throttle).
  - Same options and event shape as C(amazon.aws.aws_sqs_queue) (amazon.aws 11.1 and later), which the C(amazon.aws)
    10.x shipped with the C(ansible) 12 package lacks; a rulebook can switch between the two by changing the name.
  - Uses boto3 (in a worker thread), so every credential source boto3 knows works - environment variables
    (C(AWS_ACCESS_KEY_ID), C(AWS_SESSION_TOKEN), C(AWS_PROFILE), C(AWS_ENDPOINT_URL) ...), shared config files,
    instance and container roles.
options:
  name:
    description: Name of the queue.
    type: str
    required: true
  region:
    description: AWS region of the queue. Defaults to boto3's (C(AWS_REGION), C(AWS_DEFAULT_REGION), the profile).
    type: str
  endpoint_url:
    description: URL to use instead of the default SQS endpoint (a VPC endpoint, or a local AWS for tests).
    type: str
  access_key:
    description: AWS access key id; prefer the environment or a profile.
    type: str
  secret_key:
    description: AWS secret access key; prefer the environment or a profile.
    type: str
  session_token:
    description: STS session token for temporary credentials.
    type: str
  profile:
    description: Named profile of the shared AWS config files.
    type: str
  queue_owner_aws_account_id:
    description: Account id that owns the queue, when it is not the caller's account.
    type: str
  delay_seconds:
    description: Long-polling wait of each ReceiveMessage call, 0 (short polling) to 20 seconds.
    type: int
    default: 2
  max_number_of_messages:
    description: At most this many messages per ReceiveMessage call, 1 to 10.
    type: int
    default: 1
"""

EXAMPLES = r"""
- name: Respond to GuardDuty findings
  hosts: localhost
  sources:
    - cloudsec.s3.aws_sqs_queue:
        name: cloudsec-guardduty-findings
        region: eu-west-1
        delay_seconds: 20
        max_number_of_messages: 10
  rules:
    - name: Show every message
      condition: event.body is defined
      action:
        debug:
"""

import asyncio
import json
import logging
from typing import Any

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
    from botocore.exceptions import NoCredentialsError
except ImportError:  # pragma: no cover - reported by main() with a clear message
    boto3 = None

LOG = logging.getLogger(__name__)

_CONNECTION_ARGS = {
    "access_key": "aws_access_key_id",
    "secret_key": "aws_secret_access_key",
    "session_token": "aws_session_token",
    "region": "region_name",
}
_KNOWN_ARGS = frozenset(
    {"name", "endpoint_url", "profile", "queue_owner_aws_account_id", "delay_seconds", "max_number_of_messages"}
    | set(_CONNECTION_ARGS)
)
_MISSING_QUEUE_CODES = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


class SqsSourceError(ValueError):
    """Bad arguments or an SQS setup problem, with a message naming the queue or the argument."""


def _int_arg(args: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = args.get(key, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SqsSourceError(f"aws_sqs_queue: '{key}' must be an integer from {low} to {high}, got {value!r}") from None
    if not low <= number <= high:
        raise SqsSourceError(f"aws_sqs_queue: '{key}' must be from {low} to {high}, got {number}")
    return number


def parse_args(args: dict[str, Any]) -> dict[str, Any]:
    """Checked settings: queue name, polling parameters, session and client keyword arguments."""
    name = args.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SqsSourceError("aws_sqs_queue: the 'name' argument (the SQS queue name) is required")
    unknown = sorted(set(args) - _KNOWN_ARGS)
    if unknown:
        LOG.warning("aws_sqs_queue: ignoring unknown arguments %s", ", ".join(unknown))
    session = {_CONNECTION_ARGS[key]: args[key] for key in _CONNECTION_ARGS if args.get(key)}
    if args.get("profile"):
        session["profile_name"] = args["profile"]
    client: dict[str, Any] = {}
    if args.get("endpoint_url"):
        client["endpoint_url"] = args["endpoint_url"]
    return {
        "name": name.strip(),
        "owner": args.get("queue_owner_aws_account_id") or None,
        "wait": _int_arg(args, "delay_seconds", 2, 0, 20),
        "max_messages": _int_arg(args, "max_number_of_messages", 1, 1, 10),
        "session": session,
        "client": client,
    }


def make_client(settings: dict[str, Any]) -> Any:
    """An SQS client whose read timeout outlasts the long poll, with botocore's standard retries."""
    if boto3 is None:
        raise SqsSourceError("aws_sqs_queue: boto3 is not installed in ansible-rulebook's Python (pip install boto3)")
    config = Config(retries={"mode": "standard", "max_attempts": 5}, read_timeout=settings["wait"] + 30)
    session = boto3.session.Session(**settings["session"])
    if session.region_name is None:
        raise SqsSourceError(
            f"aws_sqs_queue: no region for queue {settings['name']!r}; set 'region' or AWS_REGION / AWS_DEFAULT_REGION"
        )
    return session.client("sqs", config=config, **settings["client"])


def queue_url(client: Any, settings: dict[str, Any]) -> str:
    """The queue's URL, or an error that says which queue is missing where."""
    request = {"QueueName": settings["name"]}
    if settings["owner"]:
        request["QueueOwnerAWSAccountId"] = str(settings["owner"])
    try:
        return client.get_queue_url(**request)["QueueUrl"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        where = f"region {client.meta.region_name}, endpoint {client.meta.endpoint_url}"
        if code in _MISSING_QUEUE_CODES:
            raise SqsSourceError(f"aws_sqs_queue: SQS queue {settings['name']!r} does not exist ({where})") from None
        raise SqsSourceError(f"aws_sqs_queue: cannot look up SQS queue {settings['name']!r} ({where}): {exc}") from None
    except NoCredentialsError:
        raise SqsSourceError(
            f"aws_sqs_queue: no AWS credentials to read SQS queue {settings['name']!r}; set a profile, the AWS_* "
            "environment variables or access_key / secret_key"
        ) from None


def to_event(message: dict[str, Any]) -> dict[str, Any]:
    """The rulebook event for one SQS message: the body parsed as JSON when it is JSON, else the raw text."""
    body: Any = message.get("Body", "")
    try:
        body = json.loads(body)
    except (TypeError, ValueError):
        pass
    return {"body": body, "meta": {"MessageId": message.get("MessageId")}}


def _delete(client: Any, url: str, messages: list[dict[str, Any]]) -> None:
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
    result = client.delete_message_batch(QueueUrl=url, Entries=entries)
    for failure in result.get("Failed", []):
        message = messages[int(failure["Id"])]
        LOG.error(
            "aws_sqs_queue: could not delete message %s (%s: %s); it will be delivered again",
            message.get("MessageId"),
            failure.get("Code"),
            failure.get("Message"),
        )


async def main(queue: asyncio.Queue, args: dict[str, Any]) -> None:
    """Long-poll the queue for ever, handing each message to the rule engine, then deleting it from SQS."""
    settings = parse_args(args)
    client = await asyncio.to_thread(make_client, settings)
    url = await asyncio.to_thread(queue_url, client, settings)
    LOG.info("aws_sqs_queue: receiving from %s", url)
    while True:
        try:
            response = await asyncio.to_thread(
                client.receive_message,
                QueueUrl=url,
                WaitTimeSeconds=settings["wait"],
                MaxNumberOfMessages=settings["max_messages"],
            )
        except (ClientError, BotoCoreError) as exc:
            raise SqsSourceError(f"aws_sqs_queue: ReceiveMessage on {settings['name']!r} failed: {exc}") from None
        messages = response.get("Messages", [])
        if not messages:
            if settings["wait"] == 0:
                await asyncio.sleep(1)  # short polling: do not spin
            continue
        for message in messages:
            await queue.put(to_event(message))
        await asyncio.to_thread(_delete, client, url, messages)


if __name__ == "__main__":
    # Manual check: python aws_sqs_queue.py QUEUE_NAME  (credentials and region from the environment)
    import sys

    class _PrintQueue:
        async def put(self, event: dict[str, Any]) -> None:
            print(json.dumps(event, default=str), flush=True)

    asyncio.run(main(_PrintQueue(), {"name": sys.argv[1], "delay_seconds": 20}))  # type: ignore[arg-type]
