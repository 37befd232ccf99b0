"""A loopback stand-in for Amazon Textract at its HTTP boundary.

Speaks the AWS JSON 1.1 protocol Textract uses (POST /, `X-Amz-Target:
Textract.<Operation>`, SigV4-signed), with the request and response shapes of
Textract's API reference for StartDocumentTextDetection and
GetDocumentTextDetection: a job id; then JobStatus IN_PROGRESS, then
SUCCEEDED with DocumentMetadata, PAGE/LINE/WORD Blocks (Geometry.BoundingBox,
Relationships) and NextToken pagination; FAILED with a StatusMessage; errors
as `{"__type": ..., "message": ...}` with HTTP 400. So boto3, botocore's
retries and amazon-textract-caller's polling and pagination all run as in AWS."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# A page of text: (line text, line height as a fraction of the page height).
FakePage = list[tuple[str, float]]


@dataclass
class FakeJob:
    bucket: str
    key: str
    polls: int = 0


@dataclass
class TextractState:
    documents: dict[tuple[str, str], list[FakePage]] = field(default_factory=dict)
    # (bucket, key) -> ("error", __type) to refuse the start, or ("failed", StatusMessage) for the job.
    failures: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Polls answered IN_PROGRESS before a job succeeds.
    polls_in_progress: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)


def _blocks(pages: list[FakePage]) -> list[list[dict[str, Any]]]:
    """Blocks per page, as Textract lays them out: the PAGE, then its LINEs, each with its WORDs."""
    result: list[list[dict[str, Any]]] = []
    for number, lines in enumerate(pages, start=1):
        page_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"page-{number}"))
        line_blocks: list[dict[str, Any]] = []
        word_blocks: list[dict[str, Any]] = []
        top = 0.08
        for index, (text, height) in enumerate(lines):
            line_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"line-{number}-{index}"))
            word_ids: list[str] = []
            left = 0.1
            for w, word in enumerate(text.split()):
                word_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"word-{number}-{index}-{w}"))
                width = 0.012 * len(word)
                word_blocks.append(
                    {
                        "BlockType": "WORD",
                        "Id": word_id,
                        "Text": word,
                        "TextType": "PRINTED",
                        "Confidence": 99.1,
                        "Page": number,
                        "Geometry": _geometry(left, top, width, height),
                    }
                )
                word_ids.append(word_id)
                left += width + 0.01
            line_blocks.append(
                {
                    "BlockType": "LINE",
                    "Id": line_id,
                    "Text": text,
                    "Confidence": 99.0,
                    "Page": number,
                    "Geometry": _geometry(0.1, top, left - 0.1, height),
                    "Relationships": [{"Type": "CHILD", "Ids": word_ids}],
                }
            )
            top += height * 1.6
        page = {
            "BlockType": "PAGE",
            "Id": page_id,
            "Page": number,
            "Geometry": _geometry(0.0, 0.0, 1.0, 1.0),
            "Relationships": [{"Type": "CHILD", "Ids": [b["Id"] for b in line_blocks]}],
        }
        result.append([page, *line_blocks, *word_blocks])
    return result


def _geometry(left: float, top: float, width: float, height: float) -> dict[str, Any]:
    return {
        "BoundingBox": {"Width": width, "Height": height, "Left": left, "Top": top},
        "Polygon": [
            {"X": left, "Y": top},
            {"X": left + width, "Y": top},
            {"X": left + width, "Y": top + height},
            {"X": left, "Y": top + height},
        ],
    }


class _Handler(BaseHTTPRequestHandler):
    server: TextractServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, kind: str, message: str, status: int = 400) -> None:
        self._send(status, {"__type": kind, "message": message})

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body: dict[str, Any] = json.loads(self.rfile.read(length) or b"{}")
        target = self.headers.get("X-Amz-Target", "")
        if not self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256 "):
            self._error("UnrecognizedClientException", "The security token included in the request is invalid.")
            return
        if self.headers.get("Content-Type", "").split(";")[0] != "application/x-amz-json-1.1":
            self._error("SerializationException", "Unexpected content type.")
            return
        operation = target.removeprefix("Textract.")
        with state.lock:
            state.calls.append((operation, body))
        if operation == "StartDocumentTextDetection":
            self._start(body)
        elif operation == "GetDocumentTextDetection":
            self._get(body)
        else:
            self._error("UnknownOperationException", f"Unknown operation {target}")

    def _start(self, body: dict[str, Any]) -> None:
        state = self.server.state
        s3 = (body.get("DocumentLocation") or {}).get("S3Object") or {}
        bucket, key = s3.get("Bucket"), s3.get("Name")
        if not bucket or not key:
            self._error("InvalidParameterException", "Request has invalid parameters")
            return
        failure = state.failures.get((bucket, key))
        if failure and failure[0] == "error":
            self._error(failure[1], f"{failure[1]} for s3://{bucket}/{key}")
            return
        if (bucket, key) not in state.documents and not failure:
            self._error("InvalidS3ObjectException", "Unable to get object metadata from S3. Check object key.")
            return
        job_id = uuid.uuid4().hex
        with state.lock:
            state.jobs[job_id] = FakeJob(bucket, key)
        self._send(200, {"JobId": job_id})

    def _get(self, body: dict[str, Any]) -> None:
        state = self.server.state
        job = state.jobs.get(str(body.get("JobId")))
        if job is None:
            self._error("InvalidJobIdException", "An invalid job identifier was passed.")
            return
        with state.lock:
            job.polls += 1
            polls = job.polls
        if polls <= state.polls_in_progress:
            self._send(200, {"JobStatus": "IN_PROGRESS", "DetectDocumentTextModelVersion": "1.0"})
            return
        failure = state.failures.get((job.bucket, job.key))
        if failure and failure[0] == "failed":
            self._send(200, {"JobStatus": "FAILED", "StatusMessage": failure[1], "DocumentMetadata": {"Pages": 0}})
            return
        pages = _blocks(state.documents[(job.bucket, job.key)])
        index = int(body.get("NextToken") or 0)
        response: dict[str, Any] = {
            "DocumentMetadata": {"Pages": len(pages)},
            "JobStatus": "SUCCEEDED",
            "Blocks": pages[index] if index < len(pages) else [],
            "DetectDocumentTextModelVersion": "1.0",
        }
        if index + 1 < len(pages):
            response["NextToken"] = str(index + 1)  # one page of blocks per response: callers must paginate
        self._send(200, response)


class TextractServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = TextractState()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> TextractServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    def operations(self) -> list[str]:
        return [operation for operation, _ in self.state.calls]
