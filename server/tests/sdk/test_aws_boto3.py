"""The official AWS SDK for Python (boto3, pinned in requirements.txt) against a real
`byok-kms serve`: the whole symmetric import flow on the AWS door, wrapped locally with the
`cryptography` package (RSAES_OAEP_SHA_256, and AWS's RSA_AES_KEY_WRAP_SHA_256 / _SHA_1 recipe:
AES key wrap with padding under a fresh AES-256 key, then that key under RSA-OAEP), imported
private keys signing (P-256, P-384, RSA with SHA-256/384/512, verified by `cryptography`), and
botocore's exceptions checked by their class names.
"""
import os
import unittest
from datetime import datetime, timedelta, timezone

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from kms_server import KmsServer


def oaep(hash_algorithm=None):
    hash_algorithm = hash_algorithm or hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(hash_algorithm), algorithm=hash_algorithm, label=None)


def pkcs8_der(private):
    return private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())


def wrap(public_key_der, algorithm, material):
    """EncryptedKeyMaterial for GetParametersForImport's PublicKey (DER bytes)."""
    public_key = serialization.load_der_public_key(public_key_der)
    if algorithm == "RSAES_OAEP_SHA_256":
        return public_key.encrypt(material, oaep())
    if algorithm == "RSA_AES_KEY_WRAP_SHA_256":
        aes_key = os.urandom(32)
        return public_key.encrypt(aes_key, oaep()) + aes_key_wrap_with_padding(aes_key, material)
    if algorithm == "RSA_AES_KEY_WRAP_SHA_1":
        aes_key = os.urandom(32)
        return (public_key.encrypt(aes_key, oaep(hashes.SHA1()))
                + aes_key_wrap_with_padding(aes_key, material))
    raise ValueError(algorithm)


class AwsBoto3(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = KmsServer(prefix="byok-boto3-")
        # The setup the README shows.
        cls.kms = boto3.client(
            "kms",
            endpoint_url=f"http://{cls.server.endpoint}",
            region_name="us-east-1",
            aws_access_key_id=cls.server.aws_access_key_id,
            aws_secret_access_key=cls.server.aws_secret_access_key,
            config=Config(retries={"max_attempts": 1}),
        )

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def import_material(self, key_id, material, algorithm="RSA_AES_KEY_WRAP_SHA_256", **extra):
        params = self.kms.get_parameters_for_import(
            KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec="RSA_2048")
        return self.kms.import_key_material(
            KeyId=key_id, ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrap(params["PublicKey"], algorithm, material), **extra)

    def test_the_symmetric_import_flow(self):
        kms = self.kms
        created = kms.create_key(Origin="EXTERNAL", Description="boto3 import",
                                 Tags=[{"TagKey": "env", "TagValue": "test"}])["KeyMetadata"]
        key_id = created["KeyId"]
        self.assertEqual(created["KeyState"], "PendingImport")
        self.assertFalse(created["Enabled"])
        self.assertEqual(created["Origin"], "EXTERNAL")
        self.assertEqual(created["KeySpec"], "SYMMETRIC_DEFAULT")
        self.assertTrue(created["Arn"].startswith("arn:aws:kms:us-east-1:"))
        self.assertIsInstance(created["CreationDate"], datetime)
        with self.assertRaises(kms.exceptions.KMSInvalidStateException):
            kms.encrypt(KeyId=key_id, Plaintext=b"too early")

        params = kms.get_parameters_for_import(
            KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
        self.assertEqual(params["KeyId"], created["Arn"])
        self.assertGreater(params["ParametersValidTo"], datetime.now(timezone.utc))
        with self.assertRaises(kms.exceptions.ClientError) as refused:
            kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_PKCS1_V1_5",
                                          WrappingKeySpec="RSA_2048")
        self.assertEqual(refused.exception.response["Error"]["Code"], "ValidationException")

        material = os.urandom(32)
        # KEY_MATERIAL_EXPIRES (the default) needs a ValidTo.
        with self.assertRaises(kms.exceptions.ClientError) as refused:
            self.import_material(key_id, material)
        self.assertEqual(refused.exception.response["Error"]["Code"], "ValidationException")
        valid_to = datetime.now(timezone.utc) + timedelta(days=30)
        imported = self.import_material(key_id, material, algorithm="RSAES_OAEP_SHA_256",
                                        ValidTo=valid_to)
        material_id = imported["KeyMaterialId"]
        self.assertEqual(len(material_id), 64)
        described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        self.assertEqual(described["KeyState"], "Enabled")
        self.assertEqual(described["ExpirationModel"], "KEY_MATERIAL_EXPIRES")
        self.assertEqual(int(described["ValidTo"].timestamp()), int(valid_to.timestamp()))

        # Encrypt and Decrypt, by alias and without a KeyId.
        kms.create_alias(AliasName="alias/boto3-import", TargetKeyId=key_id)
        blob = kms.encrypt(KeyId="alias/boto3-import", Plaintext=b"hello",
                           EncryptionContext={"purpose": "test"})["CiphertextBlob"]
        decrypted = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "test"})
        self.assertEqual(decrypted["Plaintext"], b"hello")
        self.assertEqual(decrypted["KeyId"], created["Arn"])
        with self.assertRaises(kms.exceptions.InvalidCiphertextException):
            kms.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "other"})
        data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
        self.assertEqual(len(data_key["Plaintext"]), 32)

        # Delete the material: PendingImport; the same material returns (now never expiring),
        # other material is refused.
        deleted = kms.delete_imported_key_material(KeyId=key_id)
        self.assertEqual(deleted["KeyMaterialId"], material_id)
        self.assertEqual(kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"],
                         "PendingImport")
        with self.assertRaises(kms.exceptions.IncorrectKeyMaterialException):
            self.import_material(key_id, os.urandom(32),
                                 ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
        again = self.import_material(key_id, material,
                                     ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
        self.assertEqual(again["KeyMaterialId"], material_id)
        described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        self.assertEqual(described["ExpirationModel"], "KEY_MATERIAL_DOES_NOT_EXPIRE")
        self.assertNotIn("ValidTo", described)
        self.assertEqual(kms.decrypt(KeyId=key_id, CiphertextBlob=blob,
                                     EncryptionContext={"purpose": "test"})["Plaintext"], b"hello")

        # State changes and deletion, as AWS answers them.
        kms.disable_key(KeyId=key_id)
        with self.assertRaises(kms.exceptions.DisabledException):
            kms.encrypt(KeyId=key_id, Plaintext=b"x")
        kms.enable_key(KeyId=key_id)
        with self.assertRaises(kms.exceptions.ClientError) as refused:
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=31)
        self.assertEqual(refused.exception.response["Error"]["Code"], "ValidationException")
        scheduled = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
        self.assertEqual(scheduled["KeyState"], "PendingDeletion")
        self.assertIsInstance(scheduled["DeletionDate"], datetime)
        kms.cancel_key_deletion(KeyId=key_id)
        self.assertEqual(kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"], "Disabled")
        aliases = kms.list_aliases(KeyId=key_id)["Aliases"]
        self.assertEqual([a["AliasName"] for a in aliases], ["alias/boto3-import"])
        self.assertIn(key_id, [k["KeyId"] for k in kms.list_keys()["Keys"]])
        kms.delete_alias(AliasName="alias/boto3-import")

    def test_rotation_of_imported_material(self):
        kms = self.kms
        key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
        never = {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}
        first, second = os.urandom(32), os.urandom(32)
        id1 = self.import_material(key_id, first, KeyMaterialDescription="first", **never)[
            "KeyMaterialId"]
        old = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
        id2 = self.import_material(key_id, second, ImportType="NEW_KEY_MATERIAL", **never)[
            "KeyMaterialId"]
        with self.assertRaises(kms.exceptions.KMSInvalidStateException):
            self.import_material(key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL", **never)
        pending = kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")
        self.assertEqual([(r["KeyMaterialId"], r["KeyMaterialState"]) for r in pending["Rotations"]],
                         [(id1, "CURRENT"), (id2, "PENDING_ROTATION")])
        kms.rotate_key_on_demand(KeyId=key_id)
        self.assertEqual(kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"], id2)
        rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
        self.assertEqual([(r["KeyMaterialId"], r["RotationType"]) for r in rotations],
                         [(id2, "ON_DEMAND")])
        self.assertIsInstance(rotations[0]["RotationDate"], datetime)
        self.assertEqual(kms.decrypt(CiphertextBlob=old)["Plaintext"], b"before")
        # The old material deleted, the key waits for it; imported again by its id.
        kms.delete_imported_key_material(KeyId=key_id, KeyMaterialId=id1)
        self.assertEqual(kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"], "PendingImport")
        with self.assertRaises(kms.exceptions.IncorrectKeyMaterialException):
            self.import_material(key_id, second, ImportType="EXISTING_KEY_MATERIAL",
                                 KeyMaterialId=id1, **never)
        self.import_material(key_id, first, ImportType="EXISTING_KEY_MATERIAL",
                             KeyMaterialId=id1, **never)
        # ReEncrypt the old ciphertext to the current material, then to another key.
        other = kms.create_key()["KeyMetadata"]["KeyId"]
        moved = kms.re_encrypt(CiphertextBlob=old, DestinationKeyId=other,
                               DestinationEncryptionContext={"to": "other"})
        self.assertTrue(moved["SourceKeyId"].endswith(key_id))
        self.assertEqual(kms.decrypt(CiphertextBlob=moved["CiphertextBlob"],
                                     EncryptionContext={"to": "other"})["Plaintext"], b"before")
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "rotated", "TagValue": "yes"}])
        with self.assertRaises(kms.exceptions.TagException):
            kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "aws:x", "TagValue": ""}])
        kms.untag_resource(KeyId=key_id, TagKeys=["rotated"])
        self.assertEqual(kms.list_resource_tags(KeyId=key_id)["Tags"], [])
        data_key = kms.generate_data_key_without_plaintext(KeyId=key_id, KeySpec="AES_256")
        self.assertNotIn("Plaintext", data_key)

    def test_hmac_and_asymmetric_keys(self):
        kms = self.kms
        # An imported HMAC key, checked against Python's hmac.
        import hashlib
        import hmac
        key_id = kms.create_key(Origin="EXTERNAL", KeySpec="HMAC_256",
                                KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
        secret = os.urandom(48)
        self.import_material(key_id, secret, algorithm="RSAES_OAEP_SHA_256",
                             ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
        mac = kms.generate_mac(KeyId=key_id, Message=b"jwt", MacAlgorithm="HMAC_SHA_256")["Mac"]
        self.assertEqual(mac, hmac.new(secret, b"jwt", hashlib.sha256).digest())
        self.assertTrue(kms.verify_mac(KeyId=key_id, Message=b"jwt", MacAlgorithm="HMAC_SHA_256",
                                       Mac=mac)["MacValid"])
        with self.assertRaises(kms.exceptions.KMSInvalidMacException):
            kms.verify_mac(KeyId=key_id, Message=b"jwt!", MacAlgorithm="HMAC_SHA_256", Mac=mac)
        # An imported EC private key signs; the signature verifies with the public key.
        private = ec.generate_private_key(ec.SECP256R1())
        pkcs8 = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
        key_id = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P256",
                                KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        self.import_material(key_id, pkcs8, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
        signature = kms.sign(KeyId=key_id, Message=b"release 1.0", MessageType="RAW",
                             SigningAlgorithm="ECDSA_SHA_256")["Signature"]
        private.public_key().verify(signature, b"release 1.0", ec.ECDSA(hashes.SHA256()))
        public = serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])
        self.assertEqual(public.public_numbers(), private.public_key().public_numbers())
        self.assertTrue(kms.verify(KeyId=key_id, Message=b"release 1.0", Signature=signature,
                                   SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"])
        with self.assertRaises(kms.exceptions.KMSInvalidSignatureException):
            kms.verify(KeyId=key_id, Message=b"release 2.0", Signature=signature,
                       SigningAlgorithm="ECDSA_SHA_256")
        # An RSA key for ENCRYPT_DECRYPT: what KMS encrypts, the private key decrypts.
        rsa_private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pkcs8 = rsa_private.private_bytes(serialization.Encoding.DER,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
        key_id = kms.create_key(Origin="EXTERNAL", KeySpec="RSA_2048",
                                KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
        self.import_material(key_id, pkcs8, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"sealed",
                           EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
        self.assertEqual(rsa_private.decrypt(blob, oaep()), b"sealed")
        self.assertEqual(kms.decrypt(KeyId=key_id, CiphertextBlob=blob,
                                     EncryptionAlgorithm="RSAES_OAEP_SHA_256")["Plaintext"],
                         b"sealed")

    def test_p384_and_sha512_signatures(self):
        kms = self.kms
        # An imported P-384 key signs with ECDSA_SHA_384 only, a RAW message and its digest alike.
        private = ec.generate_private_key(ec.SECP384R1())
        key_id = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P384",
                                KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        self.import_material(key_id, pkcs8_der(private), algorithm="RSA_AES_KEY_WRAP_SHA_1",
                             ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
        metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        self.assertEqual((metadata["KeySpec"], metadata["KeyState"], metadata["SigningAlgorithms"]),
                         ("ECC_NIST_P384", "Enabled", ["ECDSA_SHA_384"]))
        public = kms.get_public_key(KeyId=key_id)
        self.assertEqual(public["SigningAlgorithms"], ["ECDSA_SHA_384"])
        self.assertEqual(serialization.load_der_public_key(public["PublicKey"]).public_numbers(),
                         private.public_key().public_numbers())
        message = b"firmware 2.1"
        digest = hashes.Hash(hashes.SHA384())
        digest.update(message)
        digest = digest.finalize()
        raw = kms.sign(KeyId=key_id, Message=message, SigningAlgorithm="ECDSA_SHA_384")
        self.assertEqual(raw["SigningAlgorithm"], "ECDSA_SHA_384")
        private.public_key().verify(raw["Signature"], message, ec.ECDSA(hashes.SHA384()))
        by_digest = kms.sign(KeyId=key_id, Message=digest, MessageType="DIGEST",
                             SigningAlgorithm="ECDSA_SHA_384")["Signature"]
        private.public_key().verify(by_digest, digest,
                                    ec.ECDSA(utils.Prehashed(hashes.SHA384())))
        self.assertTrue(kms.verify(KeyId=key_id, Message=message, Signature=by_digest,
                                   SigningAlgorithm="ECDSA_SHA_384")["SignatureValid"])
        with self.assertRaises(kms.exceptions.KMSInvalidSignatureException):
            kms.verify(KeyId=key_id, Message=b"firmware 2.2", Signature=raw["Signature"],
                       SigningAlgorithm="ECDSA_SHA_384")
        with self.assertRaises(kms.exceptions.InvalidKeyUsageException):
            kms.sign(KeyId=key_id, Message=message, SigningAlgorithm="ECDSA_SHA_256")
        with self.assertRaises(ClientError) as refused:
            kms.sign(KeyId=key_id, Message=digest[:32], MessageType="DIGEST",
                     SigningAlgorithm="ECDSA_SHA_384")
        self.assertEqual(refused.exception.response["Error"]["Code"], "ValidationException")
        with self.assertRaises(ClientError) as refused:
            kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P521", KeyUsage="SIGN_VERIFY")
        self.assertEqual(refused.exception.response["Error"]["Code"], "ValidationException")
        # An imported RSA key signs with RSASSA_PSS_SHA_512 (salt as long as the digest) and
        # RSASSA_PKCS1_V1_5_SHA_384 over a digest.
        rsa_private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_id = kms.create_key(Origin="EXTERNAL", KeySpec="RSA_2048",
                                KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        self.import_material(key_id, pkcs8_der(rsa_private),
                             ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
        self.assertEqual(kms.describe_key(KeyId=key_id)["KeyMetadata"]["SigningAlgorithms"], [
            "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
            "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"])
        pss = kms.sign(KeyId=key_id, Message=message,
                       SigningAlgorithm="RSASSA_PSS_SHA_512")["Signature"]
        rsa_private.public_key().verify(
            pss, message, padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64),
            hashes.SHA512())
        self.assertTrue(kms.verify(KeyId=key_id, Message=message, Signature=pss,
                                   SigningAlgorithm="RSASSA_PSS_SHA_512")["SignatureValid"])
        pkcs1 = kms.sign(KeyId=key_id, Message=digest, MessageType="DIGEST",
                         SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_384")["Signature"]
        rsa_private.public_key().verify(pkcs1, digest, padding.PKCS1v15(),
                                        utils.Prehashed(hashes.SHA384()))
        with self.assertRaises(kms.exceptions.InvalidKeyUsageException):
            kms.sign(KeyId=key_id, Message=message, SigningAlgorithm="ECDSA_SHA_384")

    def test_errors_by_class(self):
        kms = self.kms
        with self.assertRaises(kms.exceptions.NotFoundException):
            kms.describe_key(KeyId="00000000-0000-0000-0000-000000000000")
        generated = kms.create_key()["KeyMetadata"]
        self.assertEqual((generated["Origin"], generated["KeyState"]), ("AWS_KMS", "Enabled"))
        with self.assertRaises(kms.exceptions.UnsupportedOperationException):
            kms.get_parameters_for_import(KeyId=generated["KeyId"],
                                          WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                          WrappingKeySpec="RSA_2048")
        with self.assertRaises(kms.exceptions.AlreadyExistsException):
            kms.create_alias(AliasName="alias/twice", TargetKeyId=generated["KeyId"])
            kms.create_alias(AliasName="alias/twice", TargetKeyId=generated["KeyId"])
        wrong = boto3.client("kms", endpoint_url=f"http://{self.server.endpoint}",
                             region_name="us-east-1",
                             aws_access_key_id=self.server.aws_access_key_id,
                             aws_secret_access_key="wrong" + self.server.aws_secret_access_key,
                             config=Config(retries={"max_attempts": 1}))
        with self.assertRaises(wrong.exceptions.ClientError) as refused:
            wrong.list_keys()
        self.assertEqual(refused.exception.response["Error"]["Code"], "InvalidSignatureException")
        unknown = boto3.client("kms", endpoint_url=f"http://{self.server.endpoint}",
                               region_name="us-east-1", aws_access_key_id="AKIAUNKNOWNUNKNOWN00",
                               aws_secret_access_key="x" * 40,
                               config=Config(retries={"max_attempts": 1}))
        with self.assertRaises(unknown.exceptions.ClientError) as refused:
            unknown.list_keys()
        self.assertEqual(refused.exception.response["Error"]["Code"],
                         "UnrecognizedClientException")


if __name__ == "__main__":
    unittest.main()
