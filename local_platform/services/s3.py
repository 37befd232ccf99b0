"""S3 for uploaded documents: MinIO, built from its Go module.

Why MinIO: it speaks the S3 API the production code uses (presigned POST with
its policy conditions enforced, path-style requests, SigV4) and sends bucket
notifications in S3's event JSON shape to a webhook, with a persistent queue
so none is lost while the API restarts. versitygw v1.8.0 builds faster but
its object-created events for POST uploads carry an empty object key, so the
API could not tell which document arrived.

The bucket is created at start, with its object-created notification pointed
at the API (`/hooks/s3/object-created`, Authorization: Bearer <shared secret>)
and CORS for the web app. MinIO applies CORS server-wide
(MINIO_API_CORS_ALLOW_ORIGIN); the bucket CORS call is made too, as in AWS."""

from __future__ import annotations

import contextlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from local_platform import go_install, process
from local_platform.layout import HOST, PATHS, PORTS
from local_platform.services.base import Service
from local_platform.services.python_service import http_ok

MODULE = "github.com/minio/minio"
# The only version the module proxy offers here (MinIO publishes no semver tags).
VERSION = "v0.0.0-20260212201848-7aac2a2c5b7c"
BUCKET = "callcenter-documents"
REGION = "us-east-1"
# MinIO names a notification target by the suffix of its environment variables.
WEBHOOK_TARGET = "CALLCENTER"
WEBHOOK_ARN = f"arn:minio:sqs::{WEBHOOK_TARGET}:webhook"
EVENT_PATH = "/hooks/s3/object-created"
# Only documents under a workspace start ingestion.
EVENT_PREFIX = "workspaces/"


@dataclass(frozen=True)
class S3Credentials:
    access_key_id: str
    secret_access_key: str
    event_secret: str


def credentials() -> S3Credentials:
    """The local server's root keys and the webhook secret, generated once in .local/secrets."""
    PATHS.ensure()
    path = PATHS.secrets / "s3.json"
    if path.exists():
        return S3Credentials(**json.loads(path.read_text()))
    created = S3Credentials(
        access_key_id="callcenter-local",
        secret_access_key=secrets.token_urlsafe(24),
        event_secret=secrets.token_urlsafe(32),
    )
    path.write_text(json.dumps(created.__dict__, indent=2))
    path.chmod(0o600)
    return created


def endpoint_url() -> str:
    return f"http://{HOST}:{PORTS.s3}"


def runtime_env() -> dict[str, str]:
    """What the API and the ingestion worker need to reach the local S3 (see callcenter.settings)."""
    keys = credentials()
    return {
        "S3_ENDPOINT_URL": endpoint_url(),
        "S3_BUCKET": BUCKET,
        "S3_REGION": REGION,
        "S3_ACCESS_KEY_ID": keys.access_key_id,
        "S3_SECRET_ACCESS_KEY": keys.secret_access_key,
        "S3_EVENT_SECRET": keys.event_secret,
    }


def _binary() -> Path:
    return PATHS.bin / "minio"


def _data_dir() -> Path:
    return PATHS.state / "s3" / "data"


def _event_queue_dir() -> Path:
    return PATHS.state / "s3" / "events"


class S3(Service):
    name = "s3"

    def __init__(self, site_url: str = f"http://{HOST}:{PORTS.web}", api_url: str = f"http://{HOST}:{PORTS.api}"):
        self.site_url = site_url
        self.api_url = api_url

    @property
    def url(self) -> str:  # type: ignore[override]
        return endpoint_url()

    def install(self) -> None:
        go_install.install(self.name, MODULE, VERSION, _binary().name, expected="about 5-8 minutes on 2 cores")

    def healthy(self) -> bool:
        return http_ok(f"{endpoint_url()}/minio/health/live")

    def running(self) -> bool:
        return process.is_running(self.name) and self.healthy()

    def _environment(self) -> dict[str, str]:
        keys = credentials()
        origins = {self.site_url, f"http://localhost:{PORTS.web}", f"http://127.0.0.1:{PORTS.web}"}
        target = WEBHOOK_TARGET
        return {
            "MINIO_ROOT_USER": keys.access_key_id,
            "MINIO_ROOT_PASSWORD": keys.secret_access_key,
            "MINIO_REGION": REGION,
            "MINIO_BROWSER": "off",
            "MINIO_UPDATE": "off",
            "MINIO_API_CORS_ALLOW_ORIGIN": ",".join(sorted(origins)),
            f"MINIO_NOTIFY_WEBHOOK_ENABLE_{target}": "on",
            f"MINIO_NOTIFY_WEBHOOK_ENDPOINT_{target}": f"{self.api_url}{EVENT_PATH}",
            f"MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_{target}": keys.event_secret,
            # Events wait on disk while the API is down and are delivered when it is back.
            f"MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_{target}": str(_event_queue_dir()),
            f"MINIO_NOTIFY_WEBHOOK_QUEUE_LIMIT_{target}": "100000",
        }

    def start(self) -> None:
        if self.running():
            self.configure_bucket()
            return
        process.stop(self.name)
        if process.port_open(PORTS.s3):
            raise RuntimeError(f"s3: port {PORTS.s3} is taken by another program; set CC_S3_PORT to move it")
        _data_dir().mkdir(parents=True, exist_ok=True)
        _event_queue_dir().mkdir(parents=True, exist_ok=True)
        process.spawn(
            self.name,
            [str(_binary()), "server", str(_data_dir()), "--address", f"{HOST}:{PORTS.s3}", "--quiet"],
            env=self._environment(),
        )
        process.wait_until(self.healthy, timeout=60, what="MinIO", log=process.log_file(self.name))
        self.configure_bucket()

    def configure_bucket(self) -> None:
        """Create the bucket, its CORS rule and its object-created notification (idempotent)."""
        import boto3
        from botocore.config import Config
        from botocore.exceptions import ClientError

        keys = credentials()
        client = boto3.client(
            "s3",
            endpoint_url=endpoint_url(),
            region_name=REGION,
            aws_access_key_id=keys.access_key_id,
            aws_secret_access_key=keys.secret_access_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )
        try:
            client.create_bucket(Bucket=BUCKET)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise
        with contextlib.suppress(ClientError):  # MinIO accepts the call but applies CORS server-wide
            client.put_bucket_cors(
                Bucket=BUCKET,
                CORSConfiguration={
                    "CORSRules": [
                        {
                            "AllowedOrigins": [self.site_url],
                            "AllowedMethods": ["POST"],
                            "AllowedHeaders": ["*"],
                            "ExposeHeaders": ["ETag", "Location"],
                            "MaxAgeSeconds": 600,
                        }
                    ]
                },
            )
        client.put_bucket_notification_configuration(
            Bucket=BUCKET,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "Id": "documents-object-created",
                        "QueueArn": WEBHOOK_ARN,
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": EVENT_PREFIX}]}},
                    }
                ]
            },
        )
