"""Asymmetric EXTERNAL keys through the official Alibaba Cloud KMS Python SDK against a real
`byok-kms serve`: the private key made and wrapped with openssl (genpkey, pkcs8, rand, pkeyutl,
enc -aes-256-ecb: the cloud's RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD recipe), imported, then
GetPublicKey, AsymmetricSign (the signature checked by openssl), AsymmetricVerify,
AsymmetricEncrypt (decrypted by openssl) and AsymmetricDecrypt, ListKeyVersions and
DescribeKeyVersion — so the front door's parameter names and reply shapes are the SDK's.
"""
import base64
import hashlib
import os
import subprocess
import tempfile
import unittest

from alibabacloud_kms20160120 import models as kms
from alibabacloud_tea_openapi.exceptions import ClientException

import kms_server
from kms_server import openssl

HYBRID = "RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD"


class AsymmetricSdk(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kms = kms_server.KmsServer("byok-asym-sdk-")

    @classmethod
    def tearDownClass(cls):
        cls.kms.stop()

    def client(self):
        return self.kms.official_client()

    def refused(self, code, call):
        with self.assertRaises(ClientException) as raised:
            call()
        self.assertEqual(raised.exception.code, code, raised.exception.message)

    def imported(self, client, cwd, key_spec, usage, genpkey):
        """CreateKey, then the openssl recipe of the hybrid import; returns (key id, version id)."""
        key = client.create_key(kms.CreateKeyRequest(
            origin="EXTERNAL", key_spec=key_spec, key_usage=usage)).body.key_metadata
        self.assertEqual((key.key_state, key.key_spec, key.key_usage), ("PendingImport", key_spec, usage))
        params = client.get_parameters_for_import(kms.GetParametersForImportRequest(
            key_id=key.key_id, wrapping_algorithm=HYBRID, wrapping_key_spec="RSA_2048")).body
        with open(os.path.join(cwd, "PublicKey.bin"), "wb") as f:
            f.write(base64.b64decode(params.public_key))
        openssl("genpkey", *genpkey, "-out", "Key.pem", cwd=cwd)
        openssl("pkcs8", "-topk8", "-nocrypt", "-in", "Key.pem", "-outform", "DER", "-out", "Key.der", cwd=cwd)
        openssl("rand", "-out", "Aes.bin", "32", cwd=cwd)
        with open(os.path.join(cwd, "Aes.bin"), "rb") as f:
            aes_hex = f.read().hex()
        openssl("pkeyutl", "-encrypt", "-in", "Aes.bin", "-inkey", "PublicKey.bin", "-keyform", "DER", "-pubin",
                "-out", "Aes.wrapped", "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
                "-pkeyopt", "rsa_mgf1_md:sha256", cwd=cwd)
        openssl("enc", "-aes-256-ecb", "-K", aes_hex, "-nosalt", "-in", "Key.der", "-out", "Key.wrapped", cwd=cwd)
        with open(os.path.join(cwd, "Aes.wrapped"), "rb") as a, open(os.path.join(cwd, "Key.wrapped"), "rb") as k:
            wrapped = base64.b64encode(a.read() + k.read()).decode()
        client.import_key_material(kms.ImportKeyMaterialRequest(
            key_id=key.key_id, encrypted_key_material=wrapped, import_token=params.import_token))
        described = client.describe_key(kms.DescribeKeyRequest(key_id=key.key_id)).body.key_metadata
        self.assertEqual(described.key_state, "Enabled")
        return key.key_id, described.primary_key_version

    def test_sign_verify_and_versions(self):
        client = self.client()
        for key_spec, genpkey, algorithm in (
                ("RSA_2048", ("-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"), "RSA_PSS_SHA_256"),
                ("EC_P256", ("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"), "ECDSA_SHA_256")):
            with tempfile.TemporaryDirectory() as cwd:
                key_id, version = self.imported(client, cwd, key_spec, "SIGN/VERIFY", genpkey)
                public = client.get_public_key(kms.GetPublicKeyRequest(key_id=key_id, key_version_id=version)).body
                self.assertEqual((public.key_id, public.key_version_id), (key_id, version))
                self.assertTrue(public.public_key.startswith("-----BEGIN PUBLIC KEY-----"))
                with open(os.path.join(cwd, "Public.pem"), "w") as f:
                    f.write(public.public_key)
                expected = subprocess.run(["openssl", "pkey", "-in", "Key.pem", "-pubout"], cwd=cwd, check=True,
                                          capture_output=True, text=True).stdout
                self.assertEqual(public.public_key.strip(), expected.strip())

                message = b"the guide, signed"
                digest = base64.b64encode(hashlib.sha256(message).digest()).decode()
                signed = client.asymmetric_sign(kms.AsymmetricSignRequest(
                    key_id=key_id, key_version_id=version, algorithm=algorithm, digest=digest)).body
                self.assertEqual((signed.key_id, signed.key_version_id), (key_id, version))
                with open(os.path.join(cwd, "Message.txt"), "wb") as f:
                    f.write(message)
                with open(os.path.join(cwd, "Signature.bin"), "wb") as f:
                    f.write(base64.b64decode(signed.value))
                pss = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"] if key_spec.startswith("RSA") else []
                openssl("dgst", "-sha256", "-verify", "Public.pem", *pss, "-signature", "Signature.bin", "Message.txt", cwd=cwd)

                verified = client.asymmetric_verify(kms.AsymmetricVerifyRequest(
                    key_id=key_id, key_version_id=version, algorithm=algorithm, digest=digest, value=signed.value)).body
                self.assertIs(verified.value, True)
                other = base64.b64encode(hashlib.sha256(b"another message").digest()).decode()
                self.assertIs(client.asymmetric_verify(kms.AsymmetricVerifyRequest(
                    key_id=key_id, key_version_id=version, algorithm=algorithm, digest=other,
                    value=signed.value)).body.value, False)

                versions = client.list_key_versions(kms.ListKeyVersionsRequest(key_id=key_id)).body
                self.assertEqual([v.key_version_id for v in versions.key_versions.key_version], [version])
                described = client.describe_key_version(kms.DescribeKeyVersionRequest(
                    key_id=key_id, key_version_id=version)).body.key_version
                self.assertEqual((described.key_id, described.key_version_id), (key_id, version))

                # A digest of the wrong length, and a symmetric call, are refused.
                self.refused("InvalidParameter", lambda: client.asymmetric_sign(kms.AsymmetricSignRequest(
                    key_id=key_id, key_version_id=version, algorithm=algorithm,
                    digest=base64.b64encode(b"short").decode())))
                self.refused("UnsupportedOperation", lambda: client.encrypt(kms.EncryptRequest(
                    key_id=key_id, plaintext=base64.b64encode(b"x").decode())))

    def test_encrypt_decrypt(self):
        client = self.client()
        with tempfile.TemporaryDirectory() as cwd:
            key_id, version = self.imported(client, cwd, "RSA_3072", "ENCRYPT/DECRYPT",
                                            ("-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"))
            plaintext = b"a data key, say"
            encrypted = client.asymmetric_encrypt(kms.AsymmetricEncryptRequest(
                key_id=key_id, key_version_id=version, algorithm="RSAES_OAEP_SHA_256",
                plaintext=base64.b64encode(plaintext).decode())).body
            self.assertEqual((encrypted.key_id, encrypted.key_version_id), (key_id, version))
            with open(os.path.join(cwd, "Cipher.bin"), "wb") as f:
                f.write(base64.b64decode(encrypted.ciphertext_blob))
            out = subprocess.run(["openssl", "pkeyutl", "-decrypt", "-inkey", "Key.pem", "-in", "Cipher.bin",
                                  "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
                                  "-pkeyopt", "rsa_mgf1_md:sha256"], cwd=cwd, check=True, capture_output=True).stdout
            self.assertEqual(out, plaintext)
            decrypted = client.asymmetric_decrypt(kms.AsymmetricDecryptRequest(
                key_id=key_id, key_version_id=version, algorithm="RSAES_OAEP_SHA_256",
                ciphertext_blob=encrypted.ciphertext_blob)).body
            self.assertEqual(base64.b64decode(decrypted.plaintext), plaintext)
            self.refused("UnsupportedOperation", lambda: client.asymmetric_sign(kms.AsymmetricSignRequest(
                key_id=key_id, key_version_id=version, algorithm="RSA_PSS_SHA_256",
                digest=base64.b64encode(hashlib.sha256(b"m").digest()).decode())))


if __name__ == "__main__":
    unittest.main()
