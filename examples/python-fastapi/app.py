"""An upload service that asks upload-audit before it stores anything.

Every upload is checked by `upload-audit serve` with the same policy as the nightly
`upload-audit scan` of the upload folder, so the two never disagree. Stored files get generated
names; the client's name is only ever what the check judged. If the check server cannot be
reached, the upload is refused (fail closed).

Run:  upload-audit serve --listen 127.0.0.1:8971 &
      UPLOAD_DIR=uploads python3 -m uvicorn app:app --host 127.0.0.1 --port 8000
"""

import json
import os
import pathlib
import urllib.error
import urllib.parse
import urllib.request
import uuid

from fastapi import FastAPI, File, HTTPException, UploadFile

app = FastAPI()
CHECK_URL = os.environ.get("UPLOAD_AUDIT_URL", "http://127.0.0.1:8971")
UPLOAD_DIR = pathlib.Path(os.environ.get("UPLOAD_DIR", "uploads"))
# Suffixes this service stores under; anything else is stored without one.
KEEP_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".pdf"}


def check(data: bytes, filename: str, content_type: str, dest: str) -> dict:
    """The verdict of upload-audit serve for these bytes, stored at `dest`."""
    query = urllib.parse.urlencode({"filename": filename, "path": dest})
    request = urllib.request.Request(
        f"{CHECK_URL}/v1/check?{query}",
        data=data,
        method="POST",
        headers={"Content-Type": content_type or "application/octet-stream"},
    )
    token = os.environ.get("UPLOAD_AUDIT_TOKEN")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@app.post("/upload")
async def upload(file: UploadFile = File(...)):
    data = await file.read()
    suffix = pathlib.PurePosixPath(file.filename or "").suffix.lower()
    stored = f"{uuid.uuid4().hex}{suffix if suffix in KEEP_SUFFIXES else ''}"
    dest = f"user-content/{stored}"
    try:
        verdict = check(data, file.filename or "upload", file.content_type or "", dest)
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        raise HTTPException(status_code=503, detail=f"upload check unavailable: {error}") from error
    if not verdict["allowed"]:
        raise HTTPException(
            status_code=422,
            detail={"refused": sorted({f["ruleId"] for f in verdict["findings"]})},
        )
    path = UPLOAD_DIR / dest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"stored": dest, "findings": [f["ruleId"] for f in verdict["findings"]]}
