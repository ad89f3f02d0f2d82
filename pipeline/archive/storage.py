"""Object storage: the ``ObjectStore`` port, its S3 adapter, keys and retries.

Every object sohoa writes carries the SHA-256 of its content in the user
metadata entry ``sha256`` (header ``x-amz-meta-sha256``). Writes are verified
(stat after put) and reads are checked against it, so a silently damaged copy
is reported as :class:`~pipeline.errors.IntegrityError`, never returned.

Object keys (:func:`object_key`) keep Vietnamese letters: S3 keys are UTF-8,
and ASCII-folding would merge different names ("Lê" and "Le"). Keys are NFC
so one name has exactly one byte form.

Errors are translated in one place (:func:`translate_error`): network and
5xx failures become retryable :class:`~pipeline.errors.StorageError`; a
missing object becomes :class:`MissingObjectError`; other refusals are not
retryable. :func:`retry` retries only what says it is retryable.
"""

from __future__ import annotations

import io
import logging
import random
import re
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import quote, unquote

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError
from minio.helpers import check_bucket_name
from minio.versioningconfig import ENABLED, VersioningConfig

from pipeline.errors import ConfigError, IntegrityError, SohoaError, StorageError
from pipeline.keys import MAX_KEY_BYTES, sha256_hex
from pipeline.ports import StoredObject

log = logging.getLogger(__name__)

T = TypeVar("T")

SHA256_KEY = "sha256"
"""User-metadata name holding the hex SHA-256 of the content."""

MAX_METADATA_BYTES = 2048
_META_PREFIX = "x-amz-meta-"
_META_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
# Printable ASCII except "%" and space: such values pass through unchanged;
# "%" itself, spaces, controls and non-ASCII are percent-encoded (UTF-8).
_META_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")

_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "NoSuchObject"})
_AUTH_CODES = frozenset(
    {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"}
)
_TRANSIENT_CODES = frozenset(
    {"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout", "OperationAborted"}
)
_SDK_ERRORS = (S3Error, ServerError, InvalidResponseError, urllib3.exceptions.HTTPError, OSError)


class MissingObjectError(SohoaError):
    """The requested object does not exist (not retryable)."""

    reason = "missing_object"


# --------------------------------------------------------------------------- keys


# ----------------------------------------------------------------------- metadata


def encode_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """Make user metadata safe for S3 headers.

    Values are NFC-normalized then percent-encoded (UTF-8) except printable
    ASCII other than ``%`` and space, so ``"Nguyễn Văn A"`` is sent as
    ``"Nguy%E1%BB%85n%20V%C4%83n%20A"`` and plain codes stay readable.
    :func:`decode_metadata_value` reverses it exactly.

    Args:
        metadata: names (lower-case ``a-z0-9-``) to values.

    Returns:
        Encoded mapping ready for the SDK.

    Raises:
        ValueError: an invalid or reserved name, or more than 2 KiB in total.
    """
    encoded: dict[str, str] = {}
    for name, value in metadata.items():
        if not _META_NAME.fullmatch(name) or name == SHA256_KEY:
            raise ValueError(f"invalid or reserved metadata name {name!r}")
        encoded[name] = encode_metadata_value(value)
    total = sum(len(k) + len(v) for k, v in encoded.items())
    if total > MAX_METADATA_BYTES:
        raise ValueError(f"metadata is {total} bytes once encoded; S3 allows {MAX_METADATA_BYTES}")
    return encoded


def encode_metadata_value(value: str) -> str:
    """Percent-encode one metadata value (see :func:`encode_metadata`)."""
    return quote(unicodedata.normalize("NFC", value), safe=_META_SAFE)


def decode_metadata_value(value: str) -> str:
    """Reverse :func:`encode_metadata_value`."""
    return unquote(value, encoding="utf-8", errors="strict")


def decode_metadata(headers: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """Split response headers into the stored SHA-256 and decoded user metadata.

    Args:
        headers: HTTP response headers (any case).

    Returns:
        ``(sha256, metadata)``; ``sha256`` is ``""`` when absent.
    """
    user: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith(_META_PREFIX):
            user[lower[len(_META_PREFIX) :]] = decode_metadata_value(value)
    return user.pop(SHA256_KEY, ""), user


def verify_checksum(key: str, data: bytes, expected: str) -> None:
    """Check ``data`` against the SHA-256 recorded for ``key``.

    Raises:
        IntegrityError: no checksum recorded, or it does not match.
    """
    if not expected:
        raise IntegrityError(
            "Đối tượng không có mã kiểm tra SHA-256", reason="missing_checksum", detail=key
        )
    actual = sha256_hex(data)
    if actual != expected:
        raise IntegrityError(
            "Dữ liệu đọc về không khớp mã kiểm tra SHA-256",
            detail=f"{key}: expected {expected}, got {actual}",
        )


# ------------------------------------------------------------------ errors, retry


def translate_error(exc: BaseException, *, key: str = "") -> SohoaError:
    """Map an SDK or network exception to a sohoa error.

    Args:
        exc: what the minio SDK or urllib3 raised.
        key: object key or bucket, for the detail.

    Returns:
        :class:`MissingObjectError` for a missing object, ``ConfigError`` for a
        missing bucket or refused credentials, retryable ``StorageError`` for
        network trouble and 5xx, a non-retryable ``SohoaError`` otherwise.
    """
    detail = f"{key}: {exc}" if key else str(exc)
    if isinstance(exc, S3Error):
        return _translate_s3_error(exc, detail)
    if isinstance(exc, ServerError):
        if exc.status_code >= 500 or exc.status_code == 429:
            return StorageError("Kho lưu trữ đối tượng đang lỗi", detail=detail)
        return SohoaError("Kho lưu trữ từ chối yêu cầu", reason="storage_rejected", detail=detail)
    if isinstance(exc, _SDK_ERRORS):
        return StorageError("Không kết nối được kho lưu trữ đối tượng", detail=detail)
    return SohoaError("Lỗi kho lưu trữ không xác định", reason="storage_unknown", detail=detail)


def _translate_s3_error(exc: S3Error, detail: str) -> SohoaError:
    status = exc.response.status if exc.response is not None else 0
    if exc.code in _MISSING_CODES:
        return MissingObjectError("Không tìm thấy đối tượng trong kho lưu trữ", detail=detail)
    if exc.code == "NoSuchBucket":
        return ConfigError("Chưa tạo bucket lưu trữ", reason="missing_bucket", detail=detail)
    if exc.code in _AUTH_CODES:
        return ConfigError(
            "Kho lưu trữ từ chối khóa truy cập", reason="storage_access_denied", detail=detail
        )
    if status >= 500 or status == 429 or exc.code in _TRANSIENT_CODES:
        return StorageError("Kho lưu trữ đối tượng đang lỗi", detail=detail)
    return SohoaError("Kho lưu trữ từ chối yêu cầu", reason="storage_rejected", detail=detail)


def backoff_delay(
    attempt: int, *, base_delay: float, max_delay: float, rand: Callable[[], float]
) -> float:
    """Delay before retry number ``attempt`` (1-based): exponential, equal jitter.

    The cap ``min(max_delay, base_delay * 2**(attempt-1))`` is scaled by a
    factor in ``[0.5, 1)``, so retries spread out but never collapse to zero.
    """
    cap = min(max_delay, base_delay * 2 ** (attempt - 1))
    return cap * (0.5 + 0.5 * rand())


def retry(
    fn: Callable[[], T],
    *,
    attempts: int = 4,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> T:
    """Call ``fn``, retrying only errors whose ``retryable`` attribute is true.

    Args:
        fn: the operation, without arguments.
        attempts: total calls at most (>= 1).
        base_delay: delay cap before the first retry, seconds.
        max_delay: upper bound of any delay, seconds.
        sleep: injectable sleep (tests pass a fake).
        rand: injectable ``[0, 1)`` source for jitter.

    Returns:
        What ``fn`` returned.

    Raises:
        ValueError: ``attempts < 1``.
        Exception: the first non-retryable error, or the last retryable one.
    """
    if attempts < 1:
        raise ValueError("attempts must be >= 1")
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as exc:
            if getattr(exc, "retryable", False) is not True or attempt == attempts:
                raise
            delay = backoff_delay(attempt, base_delay=base_delay, max_delay=max_delay, rand=rand)
            log.warning("retry %d/%d in %.2fs after: %s", attempt, attempts - 1, delay, exc)
            sleep(delay)
    raise AssertionError("unreachable")


def make_http_client(
    *, connect_timeout: float = 5.0, read_timeout: float = 60.0, retries: int = 2
) -> urllib3.PoolManager:
    """Build the urllib3 pool for :class:`MinioStore` with bounded waits.

    The SDK's default waits up to five minutes and retries five times; sohoa
    retries at task level (:func:`retry`), so the pool keeps it short.
    """
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
        maxsize=10,
        retries=urllib3.Retry(
            total=retries, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]
        ),
    )


# ----------------------------------------------------------------------- adapter


class MinioStore:
    """:class:`ObjectStore` over an S3 server (SeaweedFS, MinIO, AWS) via the minio SDK.

    The constructor does no network I/O; call :meth:`ensure_bucket` once at
    start-up.
    """

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str = "us-east-1",
        http_client: urllib3.PoolManager | None = None,
    ) -> None:
        """Prepare a client.

        Args:
            endpoint: ``host:port``, e.g. ``"127.0.0.1:8333"`` (no scheme).
            access_key: S3 access key.
            secret_key: S3 secret key.
            bucket: bucket name (S3 rules: 3-63 chars, lower-case).
            secure: use HTTPS.
            region: signing region; giving one avoids a location lookup.
            http_client: pool with timeouts; default :func:`make_http_client`.

        Raises:
            ConfigError: invalid endpoint or bucket name, or empty credentials.
        """
        if not access_key or not secret_key:
            raise ConfigError("Thiếu khóa truy cập kho lưu trữ", reason="storage_credentials")
        try:
            check_bucket_name(bucket)
            self._client = Minio(
                endpoint,
                access_key=access_key,
                secret_key=secret_key,
                secure=secure,
                region=region,
                http_client=http_client or make_http_client(),
            )
        except ValueError as exc:
            raise ConfigError("Cấu hình kho lưu trữ không hợp lệ", detail=str(exc)) from exc
        self.bucket = bucket
        self.endpoint = endpoint

    def __repr__(self) -> str:
        return f"MinioStore(endpoint={self.endpoint!r}, bucket={self.bucket!r})"

    @contextmanager
    def _translated(self, key: str) -> Iterator[None]:
        try:
            yield
        except _SDK_ERRORS as exc:
            raise translate_error(exc, key=key) from exc

    def ensure_bucket(self, *, versioning: bool = False) -> None:
        """Create the bucket if needed; optionally turn on versioning.

        Raises:
            StorageError: the server cannot be reached.
            ConfigError: the credentials are refused.
        """
        with self._translated(self.bucket):
            if not self._client.bucket_exists(self.bucket):
                self._make_bucket()
            if versioning:
                self._client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))

    def _make_bucket(self) -> None:
        try:
            self._client.make_bucket(self.bucket)
            log.info("created bucket %s on %s", self.bucket, self.endpoint)
        except S3Error as exc:
            if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise

    def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        """Store ``data`` with its SHA-256 in metadata, then verify the write.

        If ``key`` already holds the same content (same SHA-256 and size),
        nothing is uploaded and the existing object, with its original
        metadata, is returned.

        Raises:
            ValueError: bad key or metadata.
            IntegrityError: the stored object does not match after the write.
            StorageError: network or server trouble (retryable).
        """
        _check_key(key)
        digest = sha256_hex(data)
        headers: dict[str, str | list[str] | tuple[str]] = {
            **encode_metadata(metadata or {}),
            SHA256_KEY: digest,
        }
        existing = self.stat(key)
        if existing is not None and existing.sha256 == digest and existing.size == len(data):
            log.debug("put %s skipped: same content already stored", key)
            return existing
        with self._translated(key):
            self._client.put_object(
                self.bucket,
                key,
                io.BytesIO(data),
                len(data),
                content_type=content_type,
                metadata=headers,
            )
        return _verified_write(key, self.stat(key), digest, len(data))

    def get_bytes(self, key: str) -> bytes:
        """Return the content of ``key`` after checking its SHA-256.

        Raises:
            MissingObjectError: no such key.
            IntegrityError: content does not match the stored SHA-256.
            StorageError: network or server trouble (retryable).
        """
        _check_key(key)
        with self._translated(key):
            response = self._client.get_object(self.bucket, key)
            try:
                data = response.read()
                headers = dict(response.headers)
            finally:
                response.close()
                response.release_conn()
        expected, _ = decode_metadata(headers)
        verify_checksum(key, data, expected)
        return data

    def stat(self, key: str) -> StoredObject | None:
        """Describe ``key`` or return ``None`` if it does not exist.

        Raises:
            StorageError: network or server trouble (retryable).
        """
        _check_key(key)
        try:
            with self._translated(key):
                info = self._client.stat_object(self.bucket, key)
        except MissingObjectError:
            return None
        return _stored_from(key, info)

    def list_keys(self, prefix: str) -> list[str]:
        """Return every key under ``prefix`` (recursive), sorted.

        Raises:
            ConfigError: the bucket does not exist.
            StorageError: network or server trouble (retryable).
        """
        with self._translated(prefix):
            objects = self._client.list_objects(self.bucket, prefix=prefix, recursive=True)
            names = [o.object_name for o in objects if o.object_name and not o.is_dir]
        return sorted(names)

    def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error. Tests/repair only."""
        _check_key(key)
        with self._translated(key):
            self._client.remove_object(self.bucket, key)


def _check_key(key: str) -> None:
    if not key or key.startswith("/") or len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise ValueError(f"invalid object key {key!r}")


def _stored_from(key: str, info: Any) -> StoredObject:
    sha256, user = decode_metadata(info.metadata or {})
    return StoredObject(
        key=key,
        sha256=sha256,
        size=int(info.size or 0),
        etag=(info.etag or "").strip('"'),
        version_id=info.version_id or None,
        content_type=info.content_type or "",
        metadata=user,
    )


def _verified_write(key: str, stored: StoredObject | None, digest: str, size: int) -> StoredObject:
    if stored is None:
        raise IntegrityError(
            "Ghi xong nhưng không thấy đối tượng", reason="write_unverified", detail=key
        )
    if stored.sha256 != digest or stored.size != size:
        raise IntegrityError(
            "Đối tượng vừa ghi không khớp kích thước hoặc mã kiểm tra",
            reason="write_unverified",
            detail=f"{key}: size {stored.size}/{size}, sha256 {stored.sha256}/{digest}",
        )
    return stored
