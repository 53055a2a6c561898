"""Makes server/tests/data/kms-data-0.1/: a small data directory written by byok-kms 0.1 (commit
4a730ba), for server/tests/compat.rs to open with newer code. Not regenerated: the point is that
the files stay what that old binary wrote.

    build/venv/bin/python server/tests/data/make-kms-data-0.1.py target/release/byok-kms

It drives `byok-kms serve` with the official Alibaba Cloud SDK (build/venv, from
`scripts/setup.sh test`), wrapping material with `cryptography` as a client would, then adds a
second account with `byok-kms create-account`, and writes fixture.json: the access keys, every
key's metadata as DescribeKey reported it, the plaintext material imported, and ciphertexts with
their plaintexts and encryption contexts.
"""
import base64
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone

from alibabacloud_kms20160120 import models as kms
from alibabacloud_kms20160120.client import Client
from alibabacloud_tea_openapi import utils_models as open_api_models
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/byok-kms")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kms-data-0.1")
ACCESS_KEY_ID = "LTAIcompatFixture01234567"
ACCESS_KEY_SECRET = "compat-fixture-secret-0123456789"
# A running server claims pool pairs into memory ahead of need until it holds 32 (they are lost
# when it stops); what it generates beyond them stays in the wrapping_key_pool table.
POOL = 34


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve():
    port = free_port()
    env = dict(os.environ, BYOK_KMS_ACCESS_KEY_ID=ACCESS_KEY_ID,
               BYOK_KMS_ACCESS_KEY_SECRET=ACCESS_KEY_SECRET, RUST_LOG="warn")
    env.pop("BYOK_KMS_ROOT_KEY", None)
    server = subprocess.Popen(
        [BIN, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", OUT,
         "--wrapping-key-pool", str(POOL), "--pool-threads", "1",
         "--www-dir", "/nonexistent", "--pkg-dir", "/nonexistent"],
        env=env)
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return server, port
        except OSError:
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError("byok-kms did not start")
            time.sleep(0.05)


def pool_size(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
        return json.load(r)["wrappingKeyPool"]


def wait_for_pool(port):
    deadline = time.time() + 120
    while pool_size(port) < POOL:
        if time.time() > deadline:
            raise RuntimeError("the wrapping key pool did not fill")
        time.sleep(0.1)


def stop(server):
    server.terminate()
    server.wait(timeout=30)


def client(port):
    return Client(open_api_models.Config(
        access_key_id=ACCESS_KEY_ID, access_key_secret=ACCESS_KEY_SECRET,
        endpoint=f"127.0.0.1:{port}", protocol="http", region_id="cn-hangzhou"))


def unix(wire_time):
    if not wire_time:
        return None
    parsed = datetime.strptime(wire_time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return int(parsed.timestamp())


def create(c, origin, description, spec="Aliyun_AES_256"):
    return c.create_key(kms.CreateKeyRequest(
        origin=origin, key_spec=spec, description=description)).body.key_metadata.key_id


def import_material(c, key_id, material):
    params = c.get_parameters_for_import(kms.GetParametersForImportRequest(
        key_id=key_id, wrapping_algorithm="RSAES_OAEP_SHA_256",
        wrapping_key_spec="RSA_2048")).body
    public = serialization.load_der_public_key(base64.b64decode(params.public_key))
    wrapped = public.encrypt(material, padding.OAEP(
        mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    c.import_key_material(kms.ImportKeyMaterialRequest(
        key_id=key_id, encrypted_key_material=base64.b64encode(wrapped).decode(),
        import_token=params.import_token))


def encrypt(c, key_id, plaintext, context):
    blob = c.encrypt(kms.EncryptRequest(
        key_id=key_id, plaintext=base64.b64encode(plaintext).decode(),
        encryption_context=context or None)).body.ciphertext_blob
    return {"key": key_id, "blob": blob, "plaintext_b64": base64.b64encode(plaintext).decode(),
            "context": context}


def describe(c, key_id):
    m = c.describe_key(kms.DescribeKeyRequest(key_id=key_id)).body.key_metadata
    return {"key_id": m.key_id, "arn": m.arn, "creator": m.creator,
            "description": m.description, "key_spec": m.key_spec, "state": m.key_state,
            "origin": m.origin, "protection_level": m.protection_level,
            "created_at": unix(m.creation_date), "delete_date": unix(m.delete_date),
            "material_expire_at": unix(m.material_expire_time),
            "primary_key_version": m.primary_key_version}


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    server, port = serve()
    c = client(port)
    materials = {}
    blobs = []

    enabled = create(c, "EXTERNAL", "compat: imported, Enabled — ü")
    materials[enabled] = os.urandom(32)
    import_material(c, enabled, materials[enabled])
    blobs.append(encrypt(c, enabled, b"compat fixture plaintext",
                         {"purpose": "compat", "fixture": "0.1"}))
    blobs.append(encrypt(c, enabled, b"no context", {}))
    c.create_alias(kms.CreateAliasRequest(alias_name="alias/compat/enabled", key_id=enabled))

    disabled = create(c, "EXTERNAL", "compat: imported, then Disabled")
    materials[disabled] = os.urandom(32)
    import_material(c, disabled, materials[disabled])
    blobs.append(encrypt(c, disabled, b"made while Enabled", {"k": "v"}))
    c.disable_key(kms.DisableKeyRequest(key_id=disabled))

    doomed = create(c, "EXTERNAL", "compat: imported, then PendingDeletion")
    materials[doomed] = os.urandom(32)
    import_material(c, doomed, materials[doomed])
    c.schedule_key_deletion(kms.ScheduleKeyDeletionRequest(key_id=doomed, pending_window_in_days=7))

    pending = create(c, "EXTERNAL", "compat: never imported")
    generated = create(c, "Aliyun_KMS", "compat: generated material", spec="Aliyun_AES_128")
    blobs.append(encrypt(c, generated, b"under generated material", {"a": "b"}))

    keys = [describe(c, k) for k in (enabled, disabled, doomed, pending, generated)]
    wait_for_pool(port)
    stop(server)

    made = subprocess.run([BIN, "create-account", "--data-dir", OUT], check=True,
                          capture_output=True, text=True, env=dict(os.environ, RUST_LOG="warn"))
    second = {}
    for line in made.stdout.splitlines():
        for label, name in (("account ", "account_id"), ("access key id ", "access_key_id"),
                            ("access key secret ", "access_key_secret")):
            if line.startswith(label):
                second[name] = line[len(label):].strip()
    assert len(second) == 3, made.stdout

    # Closing the last connection to the database checkpoints the WAL and removes the -wal and
    # -shm files: the fixture is the database file alone.
    db = sqlite3.connect(os.path.join(OUT, "kms.sqlite3"))
    pool_rows = db.execute("SELECT COUNT(*) FROM wrapping_key_pool").fetchone()[0]
    db.close()
    for leftover in ("kms.sqlite3-wal", "kms.sqlite3-shm"):
        assert not os.path.exists(os.path.join(OUT, leftover)), leftover
    assert pool_rows >= 1, pool_rows

    fixture = {
        "made_by": "byok-kms 0.1 at commit 4a730ba, by make-kms-data-0.1.py; not regenerated",
        "made_at": int(time.time()),
        "region": "cn-hangzhou",
        "default": {"account_id": keys[0]["creator"], "access_key_id": ACCESS_KEY_ID,
                    "access_key_secret": ACCESS_KEY_SECRET},
        "second": second,
        "keys": keys,
        "materials_hex": {k: m.hex() for k, m in materials.items()},
        "blobs": blobs,
        "aliases": [{"name": "alias/compat/enabled", "key_id": enabled}],
        "pool_rows": pool_rows,
    }
    with open(os.path.join(OUT, "fixture.json"), "w") as f:
        json.dump(fixture, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
