"""The legacy Alibaba Cloud Python SDK (aliyun-python-sdk-core 2.16.1 + aliyun-python-sdk-kms
2.16.5, HMAC-SHA1 RPC signatures) against a real `byok-kms serve`, over POST (its default) and GET
(`request.set_method('GET')`), with the same import flow as test_official_sdk.py. Run by
`make test-sdk` with BYOK_KMS_BIN pointing at the binary.

Each request class of aliyunsdkkms forces https and the cloud's endpoints, so every request gets
`set_endpoint(host)` and `set_protocol_type('http')`.
"""
import base64
import json
import os
import secrets
import tempfile
import unittest
import urllib.parse

from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkkms.request.v20160120 import (
    CreateAliasRequest, CreateKeyRequest, DecryptRequest, DeleteKeyMaterialRequest,
    DescribeKeyRequest, EncryptRequest, GenerateDataKeyRequest, GetParametersForImportRequest,
    ImportKeyMaterialRequest, ListKeysRequest, ScheduleKeyDeletionRequest)

import kms_server

REQUESTS = {module.__name__.rsplit(".", 1)[1]: module for module in (
    CreateAliasRequest, CreateKeyRequest, DecryptRequest, DeleteKeyMaterialRequest,
    DescribeKeyRequest, EncryptRequest, GenerateDataKeyRequest, GetParametersForImportRequest,
    ImportKeyMaterialRequest, ListKeysRequest, ScheduleKeyDeletionRequest)}

PLAINTEXT = b"hello from the legacy SDK"


class LegacySdk(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kms = kms_server.KmsServer("byok-legacy-sdk-")

    @classmethod
    def tearDownClass(cls):
        cls.kms.stop()

    def client(self, secret=None):
        return AcsClient(self.kms.access_key_id, secret or self.kms.secret, "cn-hangzhou")

    def request(self, method, action, endpoint=None, **params):
        """The SDK's own request class for `action`, every parameter set through its setter."""
        request = getattr(REQUESTS[action + "Request"], action + "Request")()
        request.set_endpoint(endpoint or self.kms.endpoint)
        request.set_protocol_type("http")
        request.set_method(method)
        for name, value in params.items():
            getattr(request, "set_" + name)(value)
        return request

    def call(self, method, action, client=None, endpoint=None, **params):
        request = self.request(method, action, endpoint, **params)
        return json.loads((client or self.client()).do_action_with_exception(request))

    def refused(self, code, method, action, client=None, **params):
        with self.assertRaises(ServerException) as raised:
            self.call(method, action, client, **params)
        self.assertEqual(raised.exception.get_error_code(), code, raised.exception.get_error_msg())
        return raised.exception

    def wrap(self, method, key_id, algorithm, cwd):
        """GetParametersForImport and the guide's openssl commands: ImportKeyMaterial's
        parameters."""
        params = self.call(method, "GetParametersForImport", KeyId=key_id,
                           WrappingAlgorithm=algorithm, WrappingKeySpec="RSA_2048")
        self.assertTrue(params["PublicKey"].startswith("MIIBIjAN"))
        return {"KeyId": key_id, "ImportToken": params["ImportToken"],
                "EncryptedKeyMaterial": kms_server.wrap_material(params["PublicKey"], algorithm, cwd)}

    def key_state(self, method, key_id):
        return self.call(method, "DescribeKey", KeyId=key_id)["KeyMetadata"]["KeyState"]

    def decrypt(self, method, blob, context):
        plain = self.call(method, "Decrypt", CiphertextBlob=blob, EncryptionContext=context)
        return base64.b64decode(plain["Plaintext"])

    def flow(self, method, first_algorithm, second_algorithm):
        cwd = tempfile.mkdtemp(dir=self.kms.work)
        key = self.call(method, "CreateKey", Origin="EXTERNAL", KeySpec="Aliyun_AES_256",
                        Description="legacy SDK test")["KeyMetadata"]
        key_id = key["KeyId"]
        self.assertEqual((key["KeyState"], key["Origin"]), ("PendingImport", "EXTERNAL"))
        self.assertEqual(self.key_state(method, key_id), "PendingImport")

        kms_server.new_material(cwd)
        self.call(method, "ImportKeyMaterial", **self.wrap(method, key_id, first_algorithm, cwd))
        self.assertEqual(self.key_state(method, key_id), "Enabled")

        # aliyunsdkkms takes the context as the JSON text the API documents.
        context = json.dumps({"purpose": "backup", "method": method})
        blob = self.call(method, "Encrypt", KeyId=key_id, EncryptionContext=context,
                         Plaintext=base64.b64encode(PLAINTEXT).decode())["CiphertextBlob"]
        self.assertEqual(self.decrypt(method, blob, context), PLAINTEXT)
        self.refused("InvalidCiphertext", method, "Decrypt", CiphertextBlob=blob,
                     EncryptionContext=json.dumps({"purpose": "other", "method": method}))
        self.refused("InvalidCiphertext", method, "Decrypt", CiphertextBlob=blob)

        data_key = self.call(method, "GenerateDataKey", KeyId=key_id, EncryptionContext=context)
        self.assertEqual(len(base64.b64decode(data_key["Plaintext"])), 32)
        self.assertEqual(self.decrypt(method, data_key["CiphertextBlob"], context),
                         base64.b64decode(data_key["Plaintext"]))

        alias = f"alias/legacy-{method.lower()}-{secrets.token_hex(4)}"
        self.call(method, "CreateAlias", AliasName=alias, KeyId=key_id)
        self.assertEqual(self.call(method, "DescribeKey", KeyId=alias)["KeyMetadata"]["KeyId"],
                         key_id)

        self.call(method, "DeleteKeyMaterial", KeyId=key_id)
        self.assertEqual(self.key_state(method, key_id), "PendingImport")
        self.refused("Rejected.PendingImport", method, "Decrypt", CiphertextBlob=blob,
                     EncryptionContext=context)

        # The same material again, with a new token and public key (and the other algorithm).
        self.call(method, "ImportKeyMaterial", **self.wrap(method, key_id, second_algorithm, cwd))
        self.assertEqual(self.key_state(method, key_id), "Enabled")
        self.assertEqual(self.decrypt(method, blob, context), PLAINTEXT)

        # Different material is refused, and the key keeps what it had.
        kms_server.new_material(cwd)
        self.refused("InvalidKeyMaterial", method, "ImportKeyMaterial",
                     **self.wrap(method, key_id, first_algorithm, cwd))
        self.assertEqual(self.key_state(method, key_id), "Enabled")
        self.assertEqual(self.decrypt(method, blob, context), PLAINTEXT)

        self.call(method, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
        self.assertEqual(self.key_state(method, key_id), "PendingDeletion")

    def test_flow_over_post(self):
        self.flow("POST", "RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1")

    def test_flow_over_get(self):
        self.flow("GET", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")

    def test_a_wrong_secret_is_told_apart_from_a_changed_request(self):
        # aliyunsdkcore (client.py, _get_server_exception): on HTTP 400 SignatureDoesNotMatch, if
        # `string_to_sign == server_error_message.split(':')[1]` it raises ServerException
        # 'InvalidAccessKeySecret' ("The AccessKeySecret is incorrect. ..."), as it does against
        # the cloud, whose message ends "server string to sign is:<string>".
        for method in ("POST", "GET"):
            with self.subTest(method=method):
                try:
                    self.call(method, "ListKeys", client=self.client(secret="not-the-secret"))
                except Exception as e:  # (which exception it raises is the point)
                    raised = e
                else:
                    self.fail("a wrong secret was accepted")
                self.assertIsInstance(
                    raised, ServerException,
                    f"aliyunsdkcore raised {raised!r}: it takes the server's string to sign from "
                    "the SignatureDoesNotMatch Message as Message.split(':')[1]")
                self.assertEqual((raised.get_error_code(), raised.get_http_status()),
                                 ("InvalidAccessKeySecret", 400), raised.get_error_msg())

    def test_what_it_sends_on_the_wire(self):
        """The premise of the GET tests: set_method('GET') sends every parameter, the signature
        too, in the query of a GET, and POST sends them in the query too. With
        BYOK_SDK_WIRE_DIR set, the requests are written there."""
        proxy = kms_server.RecordingProxy(self.kms.port)
        try:
            for method in ("POST", "GET"):
                try:
                    self.call(method, "Encrypt", endpoint=proxy.endpoint, KeyId="alias/none",
                              Plaintext="aGk=", EncryptionContext='{"purpose":"backup"}')
                except ServerException:
                    pass  # the reply does not matter here
        finally:
            proxy.close()
        self.assertEqual([r["method"] for r in proxy.requests], ["POST", "GET"])
        for sent in proxy.requests:
            path, _, query = sent["target"].partition("?")
            params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
            self.assertEqual(path, "/")
            self.assertEqual(params["Action"], "Encrypt")
            self.assertEqual(params["EncryptionContext"], '{"purpose":"backup"}')
            self.assertEqual((params["SignatureMethod"], params["SignatureVersion"]),
                             ("HMAC-SHA1", "1.0"))
            self.assertIn("Signature", params)
        write_wire("aliyun-python-sdk-core", proxy.requests)


def write_wire(client, requests):
    folder = os.environ.get("BYOK_SDK_WIRE_DIR")
    if not folder:
        return
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, client + ".txt"), "w") as f:
        for r in requests:
            f.write(f"{r['method']} {r['target']}\n")
            for name, value in r["headers"]:
                f.write(f"{name}: {value}\n")
            f.write("\n" + r["body"].decode(errors="replace") + "\n\n")


if __name__ == "__main__":
    unittest.main()
