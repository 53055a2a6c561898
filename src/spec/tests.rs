//! The tables' invariants.

use super::*;

#[test]
fn wire_names_round_trip() {
    for algorithm in WrappingAlgorithm::ALL {
        assert_eq!(
            algorithm.as_str().parse::<WrappingAlgorithm>(),
            Ok(algorithm)
        );
    }
    for spec in WrappingKeySpec::ALL {
        assert_eq!(spec.to_string().parse::<WrappingKeySpec>(), Ok(spec));
    }
    for spec in KeySpec::ALL {
        assert_eq!(spec.to_string().parse::<KeySpec>(), Ok(spec));
    }
    for spec in MaterialSpec::ALL {
        assert_eq!(spec.to_string().parse::<MaterialSpec>(), Ok(spec));
    }
}

#[test]
fn the_tables_are_in_the_order_of_the_enums() {
    for (i, algorithm) in WrappingAlgorithm::ALL.into_iter().enumerate() {
        assert_eq!(ALGORITHMS[i].algorithm, algorithm);
        assert_eq!(algorithm.rule().algorithm, algorithm);
    }
    for (i, spec) in MaterialSpec::ALL.into_iter().enumerate() {
        assert_eq!(KEY_SPECS[i].spec, spec);
    }
}

#[test]
fn short_key_spec_names_are_accepted() {
    assert_eq!("AES_256".parse(), Ok(KeySpec::AliyunAes256));
    assert_eq!("AES_192".parse(), Ok(KeySpec::AliyunAes192));
    assert_eq!("AES_128".parse(), Ok(KeySpec::AliyunAes128));
    assert_eq!("SM4".parse(), Ok(KeySpec::AliyunSm4));
    assert_eq!("SM4".parse(), Ok(MaterialSpec::AliyunSm4));
    assert_eq!("AES_128".parse(), Ok(MaterialSpec::AliyunAes128));
}

#[test]
fn names_are_case_sensitive_like_the_wire() {
    assert!("aliyun_aes_256".parse::<KeySpec>().is_err());
    assert!("Aliyun_".parse::<KeySpec>().is_err());
    assert!("".parse::<KeySpec>().is_err());
    assert!("rsaes_oaep_sha_256".parse::<WrappingAlgorithm>().is_err());
    assert!("RSA_1024".parse::<WrappingKeySpec>().is_err());
    assert!("hmac_256".parse::<MaterialSpec>().is_err());
    assert!("Aliyun_HMAC_256".parse::<MaterialSpec>().is_err());
}

#[test]
fn the_server_s_key_spec_keeps_its_four_names() {
    // byok-kms parses CreateKey's KeySpec with `KeySpec`: asymmetric and other clouds' names
    // must stay unknown to it.
    for name in ["RSA_2048", "HMAC_256", "SYMMETRIC_DEFAULT", "EC_P256"] {
        assert!(name.parse::<KeySpec>().is_err(), "{name}");
        assert!(name.parse::<MaterialSpec>().is_ok(), "{name}");
    }
}

#[test]
fn message_limits_follow_rfc_8017() {
    assert_eq!(WrappingAlgorithm::RsaesOaepSha256.max_message_len(256), 190);
    assert_eq!(WrappingAlgorithm::RsaesOaepSha1.max_message_len(256), 214);
    assert_eq!(WrappingAlgorithm::RsaesPkcs1V15.max_message_len(256), 245);
    assert_eq!(WrappingAlgorithm::RsaesOaepSha256.max_message_len(512), 446);
    assert_eq!(
        WrappingAlgorithm::RsaOaep3072Sha256.max_message_len(384),
        318
    );
    assert_eq!(
        WrappingAlgorithm::RsaAesKeyWrapSha256.max_material_len(256),
        MAX_HYBRID_MATERIAL_LEN
    );
}

#[test]
fn google_cloud_algorithms_name_their_key_size() {
    for algorithm in WrappingAlgorithm::ALL {
        let rule = algorithm.rule();
        if rule.clouds == GOOGLE {
            let bits = if algorithm.as_str().contains("_3072_") {
                3072
            } else {
                4096
            };
            assert_eq!(rule.wrapping_key_specs.len(), 1, "{algorithm}");
            assert_eq!(rule.wrapping_key_specs[0].bits(), bits, "{algorithm}");
        }
    }
}

#[test]
fn each_clouds_default_algorithm_is_its_own_and_takes_the_material() {
    for cloud in [Cloud::Alibaba, Cloud::Aws, Cloud::Google] {
        for private_key in [false, true] {
            let rule = cloud.default_algorithm(private_key).rule();
            assert!(rule.clouds.contains(&cloud), "{cloud:?} {private_key}");
            assert!(!rule.legacy);
            if private_key {
                assert!(rule.private_keys && rule.scheme.is_hybrid(), "{cloud:?}");
            } else {
                assert!(rule.symmetric, "{cloud:?}");
            }
        }
    }
}
