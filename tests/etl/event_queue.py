"""S3 → SQS event notifications on moto's server, delivered to a handler as Lambda would.

`EventQueue.create` makes a standard SQS queue on the moto server and points
the bucket's notification configuration at it (prefix ``mba/csv/``, suffix
``.csv``, ``s3:ObjectCreated:*``), as ``deploy/etl-events.yaml`` does; moto then
puts a real S3 event into the queue for each PUT (and an ``s3:TestEvent`` when
the configuration is set). moto's Lambda needs Docker, so `deliver` plays the
event source mapping: it receives a batch, wraps the messages as Lambda's SQS
records, calls the handler, deletes the messages it did not report in
``batchItemFailures`` and makes the others visible again (what the visibility
timeout does, without waiting for it). Nothing here imports pytest (``bench/``
uses it too).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[dict[str, Any], Any], dict[str, list[dict[str, str]]]]


def sqs_client(endpoint: str) -> Any:
    import boto3  # here, not at collection: 0.3-0.6 s
    from botocore.config import Config

    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


def notify_queue(s3: Any, bucket: str, queue_arn: str, prefix: str = "mba/csv/") -> None:
    """S3 sends an event to the queue for every ``<prefix>*.csv`` created in `bucket`."""
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "mba-csv-to-etl",
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {
                            "FilterRules": [
                                {"Name": "prefix", "Value": prefix},
                                {"Name": "suffix", "Value": ".csv"},
                            ]
                        }
                    },
                }
            ]
        },
    )


@dataclass
class EventQueue:
    sqs: Any
    url: str
    arn: str
    receives: dict[str, int] = field(default_factory=dict)  # message id -> deliveries

    @classmethod
    def create(cls, endpoint: str, s3: Any, bucket: str, prefix: str = "mba/csv/") -> EventQueue:
        sqs = sqs_client(endpoint)
        url = sqs.create_queue(
            QueueName=f"hma-etl-events-{uuid.uuid4().hex[:10]}",
            Attributes={"VisibilityTimeout": "1800"},
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        notify_queue(s3, bucket, arn, prefix)
        return cls(sqs, url, arn)

    def receive(self, limit: int = 10) -> list[dict[str, Any]]:
        """One batch as Lambda's event source mapping hands it to the function."""
        messages = self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=limit,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
        ).get("Messages", [])
        records = []
        for message in messages:
            self.receives[message["MessageId"]] = self.receives.get(message["MessageId"], 0) + 1
            records.append(
                {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": message.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": message["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.arn,
                    "awsRegion": "us-east-1",
                }
            )
        return records

    def settle(self, records: list[dict[str, Any]], response: dict[str, Any]) -> list[str]:
        """Delete what succeeded, make the failures visible again; the failed ids."""
        failed = [item["itemIdentifier"] for item in response["batchItemFailures"]]
        for record in records:
            if record["messageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=self.url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
                )
            else:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=record["receiptHandle"])
        return failed

    def deliver(self, handler: Handler, limit: int = 10) -> tuple[list[dict[str, Any]], list[str]]:
        """Receive one batch, run the handler on it, settle it: (records, failed ids)."""
        records = self.receive(limit)
        if not records:
            return [], []
        response = handler({"Records": records}, None)
        return records, self.settle(records, response)

    def drain(self, handler: Handler, rounds: int = 20) -> list[str]:
        """Deliver until the queue is empty or `rounds` batches ran; the ids still failing."""
        failed: list[str] = []
        for _ in range(rounds):
            records, failed = self.deliver(handler)
            if not records:
                break
        return failed

    def resend(self, record: dict[str, Any]) -> None:
        """The same notification once more (S3 delivers at least once)."""
        self.sqs.send_message(QueueUrl=self.url, MessageBody=record["body"])

    def bodies(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in records]
