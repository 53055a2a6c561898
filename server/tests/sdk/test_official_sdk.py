"""The official Alibaba Cloud KMS Python SDK (alibabacloud-kms20160120 3.3.1) against a real
`byok-kms serve`, wrapping key material with the openssl commands of the cloud's own guide, exactly
as a customer would. Run by `make test` (`make test-sdk`) with BYOK_KMS_BIN pointing at the binary.
"""
import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

from alibabacloud_kms20160120 import models as kms
from alibabacloud_kms20160120.client import Client
from alibabacloud_tea_openapi import utils_models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException

BIN = os.environ.get("BYOK_KMS_BIN", "target/debug/byok-kms")

OPENSSL_PADDING = {
    "RSAES_OAEP_SHA_256": ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
                           "-pkeyopt", "rsa_mgf1_md:sha256"],
    "RSAES_OAEP_SHA_1": ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha1",
                         "-pkeyopt", "rsa_mgf1_md:sha1"],
    "RSAES_PKCS1_V1_5": ["-pkeyopt", "rsa_padding_mode:pkcs1"],
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(port, server, log):
    """Polls /healthz until byok-kms answers; fails if it exits or takes over 30 s."""
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return
        except OSError:
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError("byok-kms did not start; see " + log.name)
            time.sleep(0.05)


class OfficialSdk(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="byok-sdk-")
        cls.data_dir = os.path.join(cls.work, "data")
        cls.port = free_port()
        cls.access_key_id = "LTAI" + secrets.token_hex(10)
        cls.secret = secrets.token_urlsafe(24)
        env = dict(os.environ, BYOK_KMS_ACCESS_KEY_ID=cls.access_key_id,
                   BYOK_KMS_ACCESS_KEY_SECRET=cls.secret, RUST_LOG="info")
        env.pop("BYOK_KMS_ROOT_KEY", None)
        cls.log = open(os.path.join(cls.work, "server.log"), "wb")
        cls.server = subprocess.Popen(
            [BIN, "serve", "--listen", f"127.0.0.1:{cls.port}", "--data-dir", cls.data_dir,
             "--www-dir", os.path.join(cls.work, "no-www")],
            env=env, stdout=cls.log, stderr=cls.log)
        wait_until_serving(cls.port, cls.server, cls.log)
        cls.materials = []

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=10)
        cls.log.close()
        shutil.rmtree(cls.work, ignore_errors=True)

    def client(self, secret=None, signature_algorithm=None):
        config = open_api_models.Config(
            access_key_id=self.access_key_id, access_key_secret=secret or self.secret,
            endpoint=f"127.0.0.1:{self.port}", protocol="http", region_id="cn-hangzhou")
        if signature_algorithm:
            config.signature_algorithm = signature_algorithm
        return Client(config)

    def openssl(self, *args, cwd):
        subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)

    def new_material(self, cwd):
        """`openssl rand -out KeyMaterial.bin 32`, as in the guide."""
        self.openssl("rand", "-out", "KeyMaterial.bin", "32", cwd=cwd)
        with open(os.path.join(cwd, "KeyMaterial.bin"), "rb") as f:
            material = f.read()
        self.materials.append(material)
        return material

    def wrap(self, client, key_id, algorithm, cwd):
        """GetParametersForImport, then the guide's openssl pkeyutl and enc -base64 -A."""
        params = client.get_parameters_for_import(kms.GetParametersForImportRequest(
            key_id=key_id, wrapping_algorithm=algorithm, wrapping_key_spec="RSA_2048")).body
        self.assertTrue(params.public_key.startswith("MIIBIjAN"))
        with open(os.path.join(cwd, "PublicKey.bin"), "wb") as f:
            f.write(base64.b64decode(params.public_key))
        self.openssl("pkeyutl", "-encrypt", "-in", "KeyMaterial.bin", "-inkey", "PublicKey.bin",
                     "-keyform", "DER", "-pubin", "-out", "EncryptedKeyMaterial.bin",
                     *OPENSSL_PADDING[algorithm], cwd=cwd)
        self.openssl("enc", "-e", "-base64", "-A", "-in", "EncryptedKeyMaterial.bin",
                     "-out", "EncryptedKeyMaterial_base64.txt", cwd=cwd)
        with open(os.path.join(cwd, "EncryptedKeyMaterial_base64.txt")) as f:
            return f.read(), params.import_token

    def refused(self, code, call):
        with self.assertRaises(ClientException) as raised:
            call()
        self.assertEqual(raised.exception.code, code, raised.exception.message)
        return raised.exception

    def flow(self, client):
        for algorithm in OPENSSL_PADDING:
            with self.subTest(algorithm=algorithm):
                cwd = tempfile.mkdtemp(dir=self.work)
                key = client.create_key(kms.CreateKeyRequest(
                    origin="EXTERNAL", key_spec="Aliyun_AES_256", description="byok test")).body.key_metadata
                self.assertEqual((key.key_state, key.origin), ("PendingImport", "EXTERNAL"))
                self.new_material(cwd)
                encrypted, token = self.wrap(client, key.key_id, algorithm, cwd)
                client.import_key_material(kms.ImportKeyMaterialRequest(
                    key_id=key.key_id, encrypted_key_material=encrypted, import_token=token))
                described = client.describe_key(kms.DescribeKeyRequest(key_id=key.key_id)).body.key_metadata
                self.assertEqual(described.key_state, "Enabled")
                self.assertEqual(described.material_expire_time, "")

                context = {"purpose": "sdk test", "algorithm": algorithm}
                ciphertext = client.encrypt(kms.EncryptRequest(
                    key_id=key.key_id, plaintext=base64.b64encode(b"hello from the SDK").decode(),
                    encryption_context=context)).body.ciphertext_blob
                plain = client.decrypt(kms.DecryptRequest(
                    ciphertext_blob=ciphertext, encryption_context=context)).body.plaintext
                self.assertEqual(base64.b64decode(plain), b"hello from the SDK")

                client.delete_key_material(kms.DeleteKeyMaterialRequest(key_id=key.key_id))
                described = client.describe_key(kms.DescribeKeyRequest(key_id=key.key_id)).body.key_metadata
                self.assertEqual(described.key_state, "PendingImport")
                self.refused("Rejected.PendingImport", lambda: client.decrypt(kms.DecryptRequest(
                    ciphertext_blob=ciphertext, encryption_context=context)))

                # The same material again, with a new token and public key.
                encrypted, token = self.wrap(client, key.key_id, algorithm, cwd)
                client.import_key_material(kms.ImportKeyMaterialRequest(
                    key_id=key.key_id, encrypted_key_material=encrypted, import_token=token,
                    key_material_expire_unix=int(time.time()) + 3600))
                described = client.describe_key(kms.DescribeKeyRequest(key_id=key.key_id)).body.key_metadata
                self.assertEqual(described.key_state, "Enabled")
                self.assertTrue(described.material_expire_time.endswith("Z"))
                plain = client.decrypt(kms.DecryptRequest(
                    ciphertext_blob=ciphertext, encryption_context=context)).body.plaintext
                self.assertEqual(base64.b64decode(plain), b"hello from the SDK")

                # Different material is refused, and the key keeps what it had.
                self.new_material(cwd)
                encrypted, token = self.wrap(client, key.key_id, algorithm, cwd)
                self.refused("InvalidKeyMaterial", lambda: client.import_key_material(
                    kms.ImportKeyMaterialRequest(key_id=key.key_id, encrypted_key_material=encrypted,
                                                 import_token=token)))
                plain = client.decrypt(kms.DecryptRequest(
                    ciphertext_blob=ciphertext, encryption_context=context)).body.plaintext
                self.assertEqual(base64.b64decode(plain), b"hello from the SDK")
                shutil.rmtree(cwd)

    def test_1_flow_with_acs3_signatures(self):
        self.flow(self.client())

    def test_2_flow_with_legacy_rpc_signatures(self):
        self.flow(self.client(signature_algorithm="v2"))

    def test_3_a_wrong_secret_is_refused(self):
        for algorithm in (None, "v2"):
            client = self.client(secret="not-the-secret", signature_algorithm=algorithm)
            self.refused("SignatureDoesNotMatch", lambda: client.list_keys(kms.ListKeysRequest()))

    def test_4_listing_and_aliases(self):
        client = self.client()
        key = client.create_key(kms.CreateKeyRequest()).body.key_metadata
        self.assertEqual((key.key_state, key.origin), ("Enabled", "Aliyun_KMS"))
        client.create_alias(kms.CreateAliasRequest(alias_name="alias/sdk-test", key_id=key.key_id))
        aliases = client.list_aliases(kms.ListAliasesRequest(page_size=100)).body
        self.assertIn("alias/sdk-test", [a.alias_name for a in aliases.aliases.alias])
        keys = client.list_keys(kms.ListKeysRequest(page_size=100)).body
        self.assertIn(key.key_id, [k.key_id for k in keys.keys.key])
        self.assertGreaterEqual(keys.total_count, 1)
        data_key = client.generate_data_key(kms.GenerateDataKeyRequest(key_id="alias/sdk-test")).body
        self.assertEqual(len(base64.b64decode(data_key.plaintext)), 32)
        self.refused("Unsupported.Origin", lambda: client.get_parameters_for_import(
            kms.GetParametersForImportRequest(key_id=key.key_id, wrapping_algorithm="RSAES_OAEP_SHA_256",
                                              wrapping_key_spec="RSA_2048")))
        self.refused("Forbidden.KeyNotFound", lambda: client.describe_key(
            kms.DescribeKeyRequest(key_id="00000000-0000-4000-8000-000000000000")))

    def test_5_no_file_in_the_data_directory_contains_the_material(self):
        self.assertGreater(len(self.materials), 0, "run with the flow tests")
        forms = []
        for m in self.materials:
            forms += [m, m.hex().encode(), m.hex().upper().encode(), base64.b64encode(m),
                      base64.urlsafe_b64encode(m).rstrip(b"=")]
        for root, _, files in os.walk(self.data_dir):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    content = f.read()
                for form in forms:
                    self.assertNotIn(form, content, f"{name} contains key material")
        # The secret is not on disk in the clear either.
        for root, _, files in os.walk(self.data_dir):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    self.assertNotIn(self.secret.encode(), f.read(), name)


if __name__ == "__main__":
    unittest.main()
