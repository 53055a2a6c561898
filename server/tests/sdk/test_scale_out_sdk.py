"""The official SDK against three `byok-kms serve` instances on one PostgreSQL database, each
request of the flow sent to the next instance in turn: create on one, get parameters on another,
import on the third, and so on. Run by `make test` under scripts/with-postgres.sh, which provides
BYOK_TEST_POSTGRES_URL.
"""
import base64
import os
import secrets
import shutil
import subprocess
import tempfile
import unittest

from alibabacloud_kms20160120.client import Client
from alibabacloud_tea_openapi import utils_models as open_api_models

import kms_server
import test_official_sdk as single  # (a module, so that its test case is not collected twice)

ADMIN_URL = os.environ.get("BYOK_TEST_POSTGRES_URL")


class RoundRobin:
    """Looks like one SDK client; each call goes to the next instance's client."""

    def __init__(self, clients):
        self.clients = clients
        self.calls = 0

    def __getattr__(self, name):
        client = self.clients[self.calls % len(self.clients)]
        self.calls += 1
        return getattr(client, name)


class ThreeInstancesOnPostgres(single.OfficialSdk):
    @classmethod
    def setUpClass(cls):
        if not ADMIN_URL:
            raise RuntimeError("BYOK_TEST_POSTGRES_URL is not set: run under scripts/with-postgres.sh")
        cls.work = tempfile.mkdtemp(prefix="byok-sdk-pg-")
        cls.data_dir = os.path.join(cls.work, "data")
        cls.database = "sdk_" + secrets.token_hex(6)
        subprocess.run(["psql", ADMIN_URL, "-qc", f"CREATE DATABASE {cls.database}"], check=True)
        cls.url = ADMIN_URL.rsplit("/", 1)[0] + "/" + cls.database
        cls.access_key_id = "LTAI" + secrets.token_hex(10)
        cls.secret = secrets.token_urlsafe(24)
        env = dict(os.environ, BYOK_KMS_ACCESS_KEY_ID=cls.access_key_id,
                   BYOK_KMS_ACCESS_KEY_SECRET=cls.secret, RUST_LOG="info",
                   BYOK_KMS_ROOT_KEY=base64.b64encode(secrets.token_bytes(32)).decode())
        cls.ports, cls.servers, cls.logs = [], [], []
        for i in range(3):
            port = kms_server.free_port()
            log = open(os.path.join(cls.work, f"server-{i}.log"), "wb")
            cls.servers.append(subprocess.Popen(
                [kms_server.BIN, "serve", "--listen", f"127.0.0.1:{port}",
                 "--data-dir", os.path.join(cls.data_dir, str(i)), "--database-url", cls.url,
                 "--www-dir", os.path.join(cls.work, "no-www")],
                env=env, stdout=log, stderr=log))
            cls.ports.append(port)
            cls.logs.append(log)
        for port, server, log in zip(cls.ports, cls.servers, cls.logs):
            kms_server.wait_until_serving(port, server, log)
        cls.materials = []

    @classmethod
    def tearDownClass(cls):
        codes = []
        for server, log in zip(cls.servers, cls.logs):
            server.terminate()
            codes.append(server.wait(timeout=10))
            log.close()
        shutil.rmtree(cls.work, ignore_errors=True)
        if codes != [0, 0, 0]:
            raise RuntimeError(f"the instances did not stop cleanly on SIGTERM: exit codes {codes}")

    def client(self, secret=None, signature_algorithm=None):
        clients = []
        for port in self.ports:
            config = open_api_models.Config(
                access_key_id=self.access_key_id, access_key_secret=secret or self.secret,
                endpoint=f"127.0.0.1:{port}", protocol="http", region_id="cn-hangzhou")
            if signature_algorithm:
                config.signature_algorithm = signature_algorithm
            clients.append(Client(config))
        return RoundRobin(clients)

    def test_5_no_file_in_the_data_directory_contains_the_material(self):
        # The state is in PostgreSQL: dump the whole database and search it like the files.
        self.assertGreater(len(self.materials), 0, "run with the flow tests")
        dump = subprocess.run(["pg_dump", self.url], check=True, capture_output=True).stdout
        self.assertIn(b"wrapping_keys", dump)
        forms = []
        for m in self.materials:
            forms += [m, m.hex().encode(), m.hex().upper().encode(), base64.b64encode(m),
                      base64.urlsafe_b64encode(m).rstrip(b"=")]
        for form in forms:
            self.assertNotIn(form, dump, "the database contains key material")
        self.assertNotIn(self.secret.encode(), dump)
        # Every instance served its share of every step of the flow, and is still up.
        for i, (server, log) in enumerate(zip(self.servers, self.logs)):
            self.assertIsNone(server.poll(), f"instance {i} exited")
            log.flush()
            with open(log.name, "rb") as f:
                served = f.read()
            for action in (b"CreateKey", b"GetParametersForImport", b"ImportKeyMaterial",
                           b"Encrypt", b"Decrypt", b"DeleteKeyMaterial"):
                self.assertIn(action, served, f"instance {i} never served {action}")


if __name__ == "__main__":
    unittest.main()
