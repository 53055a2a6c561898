"""The official Alibaba Cloud KMS Python SDK importing into a hardware-protected key: `byok-kms
serve` connected to a throwaway SoftHSM2 token, CreateKey with ProtectionLevel=HSM, the guide's
openssl commands wrapping the material, and the unwrap, encryption and the same-material rule in
the token. Then a core dump of the running server (`gcore`) is searched for the material: it must
never have been in byok-kms's memory. Run by `make test` (`make test-sdk`).
"""
import base64
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from alibabacloud_kms20160120 import models as kms
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException

import kms_server

ALGORITHM = "RSAES_OAEP_SHA_1"  # the one OAEP hash SoftHSM2 2.6 unwraps with


def forms(secret):
    """The ways a careless program would keep `secret`: raw, hex and base64."""
    return {"raw": secret, "hex": secret.hex().encode(), "HEX": secret.hex().upper().encode(),
            "base64": base64.b64encode(secret)}


def blocks(listing):
    """The objects of a `pkcs11-tool --list-objects` listing: each a line naming its kind, then
    indented lines of its attributes."""
    found = []
    for line in listing.splitlines():
        if line and not line[0].isspace():
            found.append(line)
        elif found:
            found[-1] += "\n" + line
    return found


class HsmSdk(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kms = kms_server.KmsServer("byok-hsm-sdk-", hsm=True)

    @classmethod
    def tearDownClass(cls):
        cls.kms.stop()

    def client(self):
        return self.kms.official_client()

    def refused(self, code, call):
        with self.assertRaises(AlibabaCloudException) as raised:  # 4xx and 5xx alike
            call()
        self.assertEqual(raised.exception.code, code, raised.exception.message)
        return raised.exception

    def wrap(self, client, key_id, cwd):
        params = client.get_parameters_for_import(kms.GetParametersForImportRequest(
            key_id=key_id, wrapping_algorithm=ALGORITHM, wrapping_key_spec="RSA_2048")).body
        return kms_server.wrap_material(params.public_key, ALGORITHM, cwd), params.import_token

    def token_objects(self):
        """`pkcs11-tool --list-objects` of the server's token, as text."""
        return subprocess.run(
            ["pkcs11-tool", "--module", kms_server.SOFTHSM_MODULE, "--token-label", "byok-kms-sdk",
             "--login", "--pin", "sdk-test-pin", "--list-objects"],
            env=dict(os.environ, SOFTHSM2_CONF=self.kms.softhsm_conf),
            check=True, capture_output=True, text=True).stdout

    def core_dump(self):
        """The running server's memory, by gdb's `gcore` (the process keeps running)."""
        if shutil.which("gcore") is None:
            self.fail("gcore is not installed: run scripts/setup.sh test")
        prefix = os.path.join(self.kms.work, "core")
        done = subprocess.run(["gcore", "-o", prefix, str(self.kms.process.pid)],
                              capture_output=True, text=True)
        path = f"{prefix}.{self.kms.process.pid}"
        self.assertEqual(done.returncode, 0, done.stderr)
        try:
            with open(path, "rb") as f:
                return f.read()
        finally:
            os.remove(path)

    def test_a_token_lost_at_run_time_answers_503_changes_nothing_and_comes_back(self):
        client = self.client()
        cwd = tempfile.mkdtemp(dir=self.kms.work)
        keys = {}
        for level in ("HSM", "SOFTWARE"):
            key = client.create_key(kms.CreateKeyRequest(
                origin="EXTERNAL", key_spec="Aliyun_AES_256", protection_level=level)).body.key_metadata
            kms_server.new_material(cwd)
            encrypted, token = self.wrap(client, key.key_id, cwd)
            client.import_key_material(kms.ImportKeyMaterialRequest(
                key_id=key.key_id, encrypted_key_material=encrypted, import_token=token))
            keys[level] = key.key_id
        hsm_key = keys["HSM"]
        blob = client.encrypt(kms.EncryptRequest(
            key_id=hsm_key, plaintext=base64.b64encode(b"kept in the token").decode())).body.ciphertext_blob
        fresh = client.create_key(kms.CreateKeyRequest(
            origin="EXTERNAL", key_spec="Aliyun_AES_128", protection_level="HSM")).body.key_metadata

        # SoftHSM2's closest thing to pulling the token out: its storage goes away.
        tokens = os.path.join(self.kms.work, "softhsm-tokens")
        os.rename(tokens, tokens + ".away")
        try:
            unavailable = "ServiceUnavailableTemporary"
            # First, on the session still open: DeleteKeyMaterial cannot destroy the object (the
            # token shows none, nor its canary), so it is refused and the key keeps it.
            self.refused(unavailable, lambda: client.delete_key_material(
                kms.DeleteKeyMaterialRequest(key_id=hsm_key)))
            self.assertEqual(client.describe_key(kms.DescribeKeyRequest(key_id=hsm_key))
                             .body.key_metadata.key_state, "Enabled")
            self.refused(unavailable, lambda: client.encrypt(kms.EncryptRequest(
                key_id=hsm_key, plaintext=base64.b64encode(b"x").decode())))
            self.refused(unavailable, lambda: client.decrypt(kms.DecryptRequest(ciphertext_blob=blob)))
            self.refused(unavailable, lambda: client.generate_data_key(kms.GenerateDataKeyRequest(
                key_id=hsm_key)))
            self.refused(unavailable, lambda: client.get_parameters_for_import(
                kms.GetParametersForImportRequest(key_id=fresh.key_id, wrapping_algorithm=ALGORITHM,
                                                  wrapping_key_spec="RSA_2048")))
            # Software keys keep working.
            sealed = client.encrypt(kms.EncryptRequest(
                key_id=keys["SOFTWARE"], plaintext=base64.b64encode(b"software").decode())).body
            opened = client.decrypt(kms.DecryptRequest(ciphertext_blob=sealed.ciphertext_blob)).body
            self.assertEqual(base64.b64decode(opened.plaintext), b"software")
        finally:
            os.rename(tokens + ".away", tokens)

        # The token is back: byok-kms connects to it again by itself (at most one attempt every
        # two seconds), and nothing was lost.
        deadline = time.time() + 10
        while True:
            try:
                plain = client.decrypt(kms.DecryptRequest(ciphertext_blob=blob)).body.plaintext
                break
            except AlibabaCloudException as e:
                if e.code != "ServiceUnavailableTemporary" or time.time() > deadline:
                    raise
                time.sleep(0.5)
        self.kms.log.flush()
        with open(self.kms.log.name, encoding="utf-8", errors="replace") as f:
            self.assertIn("connected to the token again", f.read())
        self.assertEqual(base64.b64decode(plain), b"kept in the token")
        client.delete_key_material(kms.DeleteKeyMaterialRequest(key_id=hsm_key))
        self.assertNotIn(f"byok-kms material {hsm_key}", self.token_objects())
        self.refused("Rejected.PendingImport", lambda: client.decrypt(kms.DecryptRequest(ciphertext_blob=blob)))

    def test_the_whole_import_flow_with_protection_level_hsm(self):
        client = self.client()
        cwd = tempfile.mkdtemp(dir=self.kms.work)
        key = client.create_key(kms.CreateKeyRequest(
            origin="EXTERNAL", key_spec="Aliyun_AES_256", protection_level="HSM",
            description="byok hsm test")).body.key_metadata
        self.assertEqual((key.key_state, key.origin, key.protection_level),
                         ("PendingImport", "EXTERNAL", "HSM"))
        # A key made in the KMS cannot be HSM-protected here: only imported material is.
        self.refused("InvalidParameter", lambda: client.create_key(kms.CreateKeyRequest(
            key_spec="Aliyun_AES_256", protection_level="HSM")))
        # SHA-256 OAEP is refused with what to use instead (SoftHSM2 2.6 cannot unwrap with it).
        refusal = self.refused("InvalidParameter", lambda: client.get_parameters_for_import(
            kms.GetParametersForImportRequest(key_id=key.key_id, wrapping_algorithm="RSAES_OAEP_SHA_256",
                                              wrapping_key_spec="RSA_2048")))
        self.assertIn(ALGORITHM, refusal.message)

        # Bytes that are no AES key are refused, and leave no object in the token.
        odd = tempfile.mkdtemp(dir=self.kms.work)
        with open(os.path.join(odd, "KeyMaterial.bin"), "wb") as f:
            f.write(os.urandom(20))
        wrong, wrong_token = self.wrap(client, key.key_id, odd)
        self.refused("InvalidKeyMaterial", lambda: client.import_key_material(kms.ImportKeyMaterialRequest(
            key_id=key.key_id, encrypted_key_material=wrong, import_token=wrong_token)))
        self.assertEqual(client.describe_key(kms.DescribeKeyRequest(key_id=key.key_id))
                         .body.key_metadata.key_state, "PendingImport")
        listing = self.token_objects()
        self.assertNotIn(f"byok-kms material {key.key_id}", listing)
        self.assertNotIn("byok-kms import", listing)

        material = kms_server.new_material(cwd)
        encrypted, token = self.wrap(client, key.key_id, cwd)
        client.import_key_material(kms.ImportKeyMaterialRequest(
            key_id=key.key_id, encrypted_key_material=encrypted, import_token=token))
        described = client.describe_key(kms.DescribeKeyRequest(key_id=key.key_id)).body.key_metadata
        self.assertEqual((described.key_state, described.protection_level), ("Enabled", "HSM"))

        # The material is an AES key object in the token: sensitive, never extractable.
        listing = self.token_objects()
        block = next(b for b in blocks(listing) if f"byok-kms material {key.key_id}" in b)
        self.assertTrue(block.startswith("Secret Key Object; AES"), block)
        access = [line for line in block.splitlines() if line.strip().startswith("Access:")][0]
        self.assertIn("sensitive", access)
        self.assertNotIn("extractable", access.replace("never extractable", ""))

        context = {"purpose": "hsm sdk test"}
        blob = client.encrypt(kms.EncryptRequest(
            key_id=key.key_id, plaintext=base64.b64encode(b"sealed in the token").decode(),
            encryption_context=context)).body.ciphertext_blob
        plain = client.decrypt(kms.DecryptRequest(ciphertext_blob=blob, encryption_context=context))
        self.assertEqual(base64.b64decode(plain.body.plaintext), b"sealed in the token")
        data_key = client.generate_data_key(kms.GenerateDataKeyRequest(
            key_id=key.key_id, encryption_context=context)).body
        opened = client.decrypt(kms.DecryptRequest(ciphertext_blob=data_key.ciphertext_blob,
                                                   encryption_context=context)).body
        self.assertEqual(opened.plaintext, data_key.plaintext)

        # The same-material rule, checked in the token: other material is refused, the key is
        # unchanged; after DeleteKeyMaterial the same material comes back and opens old blobs.
        other = tempfile.mkdtemp(dir=self.kms.work)
        other_material = kms_server.new_material(other)
        wrong, wrong_token = self.wrap(client, key.key_id, other)
        self.refused("InvalidKeyMaterial", lambda: client.import_key_material(kms.ImportKeyMaterialRequest(
            key_id=key.key_id, encrypted_key_material=wrong, import_token=wrong_token)))
        client.delete_key_material(kms.DeleteKeyMaterialRequest(key_id=key.key_id))
        self.assertEqual(client.describe_key(kms.DescribeKeyRequest(key_id=key.key_id))
                         .body.key_metadata.key_state, "PendingImport")
        self.assertNotIn(f"byok-kms material {key.key_id}", self.token_objects())
        self.refused("Rejected.PendingImport", lambda: client.decrypt(kms.DecryptRequest(
            ciphertext_blob=blob, encryption_context=context)))
        encrypted, token = self.wrap(client, key.key_id, cwd)
        client.import_key_material(kms.ImportKeyMaterialRequest(
            key_id=key.key_id, encrypted_key_material=encrypted, import_token=token))
        plain = client.decrypt(kms.DecryptRequest(ciphertext_blob=blob, encryption_context=context))
        self.assertEqual(base64.b64decode(plain.body.plaintext), b"sealed in the token")

        # The material never was in byok-kms's memory. The dump is searched for the access key
        # secret too, which the server does hold: the search would find a secret that is there.
        dump = self.core_dump()
        self.assertIn(self.kms.secret.encode(), dump, "the dump does not hold what the server holds")
        for what, secret in (("the material", material), ("the refused material", other_material)):
            found = [name for name, form in forms(secret).items() if form in dump]
            self.assertEqual(found, [], f"{what} is in byok-kms's memory")


if __name__ == "__main__":
    unittest.main()
