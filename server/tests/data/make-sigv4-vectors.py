"""Captures requests botocore signs (SigV4) with its clock frozen, for server/tests/aws_door.rs.

Run with the SDK test venv: build/venv/bin/python server/tests/data/make-sigv4-vectors.py \
    > server/tests/data/sigv4-vectors.json (the User-Agent, which is not signed, is replaced).
"""
import json, datetime, unittest.mock as mock
import boto3, botocore.auth
from botocore.awsrequest import AWSResponse

class Frozen(datetime.datetime):
    @classmethod
    def utcnow(cls): return cls(2026, 11, 29, 0, 0, 0)
    @classmethod
    def now(cls, tz=None): return cls(2026, 11, 29, 0, 0, 0, tzinfo=tz)

captured = []
def before_send(request, **kw):
    captured.append(request)
    class Raw:
        def stream(self, **k): return iter([b'{}'])
    return AWSResponse(request.url, 200, {}, Raw())

with mock.patch.object(botocore.auth.datetime, 'datetime', Frozen):
    c = boto3.client('kms', endpoint_url='http://127.0.0.1:8080', region_name='us-east-1',
                     aws_access_key_id='AKIAIOSFODNN7EXAMPLE',
                     aws_secret_access_key='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY')
    c.meta.events.register('before-send', before_send)
    calls = [('list_keys', {}), ('describe_key', {'KeyId': 'alias/x'}),
             ('create_key', {'Origin': 'EXTERNAL', 'Description': 'boto3 vector é', 'Tags': [{'TagKey': 'k', 'TagValue': 'v'}]}),
             ('encrypt', {'KeyId': '1234abcd-12ab-34cd-56ef-1234567890ab', 'Plaintext': b'hello', 'EncryptionContext': {'a': 'b c'}})]
    for name, args in calls:
        getattr(c, name)(**args)
out = []
for r in captured:
    out.append({'method': r.method, 'url': r.url, 'headers': {k: (v.decode() if isinstance(v, bytes) else v) for k, v in r.headers.items()},
                'body': r.body.decode() if isinstance(r.body, bytes) else r.body})
for r in out:
    r['headers']['User-Agent'] = 'Boto3/1.44.8 Botocore/1.44.8 (os and machine details removed: not signed)'
print(json.dumps({'source': 'botocore 1.44.8, SigV4Auth, clock frozen at 2026-11-29T00:00:00Z',
                  'access_key_id': 'AKIAIOSFODNN7EXAMPLE', 'secret': 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
                  'region': 'us-east-1', 'host': '127.0.0.1:8080', 'requests': out}, indent=1, ensure_ascii=False))
