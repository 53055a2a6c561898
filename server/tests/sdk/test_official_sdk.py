"""The official Alibaba Cloud KMS Python SDK (alibabacloud-kms20160120 3.3.1) against a real
`byok-kms serve`, wrapping key material with the openssl commands of the cloud's own guide, exactly
as a customer would. Run by `make test` (`make test-sdk`) with BYOK_KMS_BIN pointing at the binary.
"""
import base64
import os
import shutil
import tempfile
import time
import unittest

from alibabacloud_kms20160120 import models as kms
from alibabacloud_kms20160120.client import Client
from alibabacloud_tea_openapi import utils_models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException

import kms_server
from kms_server import OPENSSL_PADDING


class OfficialSdk(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kms = kms_server.KmsServer("byok-sdk-")
        cls.work, cls.data_dir, cls.port = cls.kms.work, cls.kms.data_dir, cls.kms.port
        cls.access_key_id, cls.secret = cls.kms.access_key_id, cls.kms.secret
        cls.materials = []

    @classmethod
    def tearDownClass(cls):
        cls.kms.stop()

    def client(self, secret=None, signature_algorithm=None):
        config = open_api_models.Config(
            access_key_id=self.access_key_id, access_key_secret=secret or self.secret,
            endpoint=f"127.0.0.1:{self.port}", protocol="http", region_id="cn-hangzhou")
        if signature_algorithm:
            config.signature_algorithm = signature_algorithm
        return Client(config)

    def new_material(self, cwd):
        """`openssl rand -out KeyMaterial.bin 32`, as in the guide."""
        material = kms_server.new_material(cwd)
        self.materials.append(material)
        return material

    def wrap(self, client, key_id, algorithm, cwd):
        """GetParametersForImport, then the guide's openssl pkeyutl and enc -base64 -A."""
        params = client.get_parameters_for_import(kms.GetParametersForImportRequest(
            key_id=key_id, wrapping_algorithm=algorithm, wrapping_key_spec="RSA_2048")).body
        self.assertTrue(params.public_key.startswith("MIIBIjAN"))
        return kms_server.wrap_material(params.public_key, algorithm, cwd), params.import_token

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

    def test_6_tags_aliases_by_key_and_descriptions(self):
        """The guide's step 1 in full: a key with a description and tags, then tags added, changed
        and removed, aliases listed by key, the description changed; and the guide's tag rules,
        each refused with InvalidParameter and nothing changed."""
        client = self.client()
        tags = '[{"TagKey":"env","TagValue":"prod"},{"TagKey":"team","TagValue":"pay ments@eu"}]'
        key = client.create_key(kms.CreateKeyRequest(
            origin="EXTERNAL", description="imported root", tags=tags)).body.key_metadata
        self.assertEqual(key.description, "imported root")

        def listed():
            body = client.list_resource_tags(kms.ListResourceTagsRequest(key_id=key.key_id)).body
            self.assertTrue(all(t.key_id == key.key_id for t in body.tags.tag))
            return [(t.tag_key, t.tag_value) for t in body.tags.tag]

        self.assertEqual(listed(), [("env", "prod"), ("team", "pay ments@eu")])
        client.tag_resource(kms.TagResourceRequest(
            key_id=key.key_id, tags='[{"TagKey":"env","TagValue":"staging"},{"TagKey":"cost","TagValue":"42"}]'))
        self.assertEqual(listed(), [("env", "staging"), ("team", "pay ments@eu"), ("cost", "42")])
        client.untag_resource(kms.UntagResourceRequest(key_id=key.key_id, tag_keys='["team","absent"]'))
        self.assertEqual(listed(), [("env", "staging"), ("cost", "42")])

        for bad in ('[{"TagKey":"aliyun-x","TagValue":"v"}]', '[{"TagKey":"ACS:x","TagValue":"v"}]',
                    '[{"TagKey":"k;","TagValue":"v"}]', '[{"TagKey":"k","TagValue":"' + "v" * 129 + '"}]',
                    '[{"TagKey":"","TagValue":"v"}]', 'not json'):
            self.refused("InvalidParameter", lambda: client.tag_resource(
                kms.TagResourceRequest(key_id=key.key_id, tags=bad)))
        many = ",".join(f'{{"TagKey":"k{i}","TagValue":"v"}}' for i in range(19))
        self.refused("InvalidParameter", lambda: client.tag_resource(
            kms.TagResourceRequest(key_id=key.key_id, tags=f"[{many}]")))
        self.refused("InvalidParameter", lambda: client.create_key(kms.CreateKeyRequest(
            origin="EXTERNAL", tags='[{"TagKey":"acs:reserved","TagValue":"v"}]')))
        self.assertEqual(listed(), [("env", "staging"), ("cost", "42")])

        for name in ("alias/sdk-tags-a", "alias/sdk-tags-b"):
            client.create_alias(kms.CreateAliasRequest(alias_name=name, key_id=key.key_id))
        by_key = client.list_aliases_by_key_id(kms.ListAliasesByKeyIdRequest(key_id=key.key_id)).body
        self.assertEqual(sorted(a.alias_name for a in by_key.aliases.alias), ["alias/sdk-tags-a", "alias/sdk-tags-b"])
        self.assertEqual(by_key.total_count, 2)
        self.assertTrue(all(a.key_id == key.key_id for a in by_key.aliases.alias))

        client.update_key_description(kms.UpdateKeyDescriptionRequest(key_id="alias/sdk-tags-a", description="rotated"))
        described = client.describe_key(kms.DescribeKeyRequest(key_id=key.key_id)).body.key_metadata
        self.assertEqual(described.description, "rotated")
        self.refused("InvalidParameter", lambda: client.list_keys(kms.ListKeysRequest(
            filters='[{"Key":"KeyState","Values":["Enabled"]}]')))

        # A key pending deletion keeps its tags, may lose them, and may not gain any.
        client.schedule_key_deletion(kms.ScheduleKeyDeletionRequest(key_id=key.key_id, pending_window_in_days=7))
        self.refused("Rejected.StateModifiedFailed", lambda: client.tag_resource(kms.TagResourceRequest(
            key_id=key.key_id, tags='[{"TagKey":"late","TagValue":"v"}]')))
        self.refused("Rejected.StateModifiedFailed", lambda: client.update_key_description(
            kms.UpdateKeyDescriptionRequest(key_id=key.key_id, description="late")))
        client.untag_resource(kms.UntagResourceRequest(key_id=key.key_id, tag_keys='["cost"]'))
        self.assertEqual(listed(), [("env", "staging")])


if __name__ == "__main__":
    unittest.main()
